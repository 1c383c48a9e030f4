import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';

import { createCsr, generateKeyPair, type CertificateAuthority } from '@mesh/pki';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  clientCertificateOf,
  forwardClientCertMode,
  upstreamXfcc,
  type ClientCertificate,
} from '../../src/http/forwarded-client-cert.js';
import { TestCa } from '../ca-test-server.js';

/**
 * `x-forwarded-client-cert` as Envoy builds it: read from a real mTLS handshake, and the header
 * the app gets for each `forward_client_cert_details` mode, with a forged header from the caller.
 */

const SERVER = 'spiffe://cluster.local/ns/default/sa/backend';
const CLIENT = 'spiffe://cluster.local/ns/default/sa/frontend';
const FORGED =
  'By=spiffe://cluster.local/ns/default/sa/backend;URI=spiffe://cluster.local/ns/default/sa/admin';
/** What istiod generates for an inbound HTTP chain (and Istio: `buildSidecarInboundHTTPOpts`). */
const ISTIO_INBOUND = {
  forward_client_cert_details: 'APPEND_FORWARD',
  set_current_client_cert_details: { subject: { value: true }, dns: true, uri: true },
};

function workload(ca: CertificateAuthority, identity: string): { key: string; cert: string } {
  const key = generateKeyPair();
  const csrPem = createCsr({ privateKey: key.privateKeyPem, identity });
  const issued = ca.issueWorkloadCertificate({ csrPem, identity, ttlSeconds: 3600, now: new Date() });
  return { key: key.privateKeyPem, cert: issued.chainPem.join('') };
}

/** The server side of one TLS handshake: the server requests a client certificate without requiring it. */
async function handshake(serverCa: CertificateAuthority, client?: { key: string; cert: string }) {
  const server = createServer({
    ...workload(serverCa, SERVER),
    ca: serverCa.trustBundle.toPem(),
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
  const socket = connect({
    port: (server.address() as AddressInfo).port,
    host: '127.0.0.1',
    rejectUnauthorized: false,
    ...(client ?? {}),
  });
  socket.on('error', () => undefined);
  const [serverSide] = await accepted;
  return {
    serverSide,
    close: () => {
      socket.destroy();
      serverSide.destroy();
      server.close();
    },
  };
}

let ca: CertificateAuthority;
let verified: ClientCertificate;

beforeAll(async () => {
  ca = TestCa.newRoot('Root A', new Date());
  const { serverSide, close } = await handshake(ca, workload(ca, CLIENT));
  verified = clientCertificateOf(serverSide) as ClientCertificate;
  close();
});

describe('clientCertificateOf', () => {
  it("reads the verified client's identity, certificate hash and this proxy's own URI", () => {
    expect(verified).toMatchObject({ localUri: SERVER, uri: CLIENT, subject: '', dns: [] });
    expect(verified.hash).toMatch(/^[0-9a-f]{64}$/);
    const pem = decodeURIComponent(verified.pem().cert);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(decodeURIComponent(verified.pem().chain).startsWith(pem)).toBe(true);
  });

  it('has nothing for a client without a certificate or with one from another root', async () => {
    const anonymous = await handshake(ca);
    expect(clientCertificateOf(anonymous.serverSide)).toBeUndefined();
    anonymous.close();
    const stranger = await handshake(ca, workload(TestCa.newRoot('Root B', new Date()), CLIENT));
    expect(clientCertificateOf(stranger.serverSide)).toBeUndefined();
    stranger.close();
  });
});

describe('upstreamXfcc', () => {
  it("drops a plaintext caller's header whatever the mode, but for ALWAYS_FORWARD_ONLY", () => {
    for (const mode of ['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET'])
      expect(upstreamXfcc(FORGED, { ...ISTIO_INBOUND, forward_client_cert_details: mode }, undefined)).toBe(
        undefined,
      );
    expect(upstreamXfcc(FORGED, { forward_client_cert_details: 'ALWAYS_FORWARD_ONLY' }, undefined)).toBe(
      FORGED,
    );
  });

  it('sanitizes by default (outbound HTTP managers say nothing), even for a verified peer', () => {
    expect(upstreamXfcc(FORGED, {}, verified)).toBeUndefined();
    expect(upstreamXfcc(FORGED, { forward_client_cert_details: 'NOT_A_MODE' }, verified)).toBeUndefined();
  });

  it("adds this hop's element for a verified peer as Istio's inbound config says", () => {
    const current = `By=${SERVER};Hash=${verified.hash};Subject="";URI=${CLIENT}`;
    expect(upstreamXfcc(undefined, ISTIO_INBOUND, verified)).toBe(current);
    // APPEND_FORWARD keeps what a verified peer forwarded, and the last element is this hop's own.
    expect(upstreamXfcc('By=a;URI=b', ISTIO_INBOUND, verified)).toBe(`By=a;URI=b,${current}`);
    expect(
      upstreamXfcc(FORGED, { ...ISTIO_INBOUND, forward_client_cert_details: 'SANITIZE_SET' }, verified),
    ).toBe(current);
    expect(upstreamXfcc(FORGED, { forward_client_cert_details: 'FORWARD_ONLY' }, verified)).toBe(FORGED);
  });

  it('formats the certificate and chain URL-encoded when asked, in Envoy order', () => {
    const value = upstreamXfcc(
      undefined,
      {
        forward_client_cert_details: 3,
        set_current_client_cert_details: { cert: true, chain: true, uri: true },
      },
      verified,
    );
    expect(value).toBe(
      `By=${SERVER};Hash=${verified.hash};Cert="${verified.pem().cert}";Chain="${verified.pem().chain}";URI=${CLIENT}`,
    );
    expect(value).not.toMatch(/[\n ]/);
  });

  it('reads the mode by name or by proto number', () => {
    expect(forwardClientCertMode({ forward_client_cert_details: 2 })).toBe('APPEND_FORWARD');
    expect(forwardClientCertMode({ forward_client_cert_details: 'SANITIZE_SET' })).toBe('SANITIZE_SET');
    expect(forwardClientCertMode({})).toBe('SANITIZE');
  });
});
