import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';

import { createSelfSignedRoot, type CertificateAuthority } from '@mesh/pki';
import type { EnvoyCluster, EnvoyTransportSocket } from '@mesh/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withAutoSni } from '../../src/tls/auto-sni.js';
import { matchesSubjectAltNames, peerSubjectAltNames, sanMatchersOf } from '../../src/tls/peer-identity.js';
import { TlsError } from '../../src/tls/tls-error.js';
import { TlsOriginator } from '../../src/tls/tls-origination.js';
import { goldenClusters } from './golden-xds.js';

/**
 * TLS a DestinationRule originates, as istiod generates it for Istio's egress-rule-google-apis sample
 * (`file-root:system`, auto SNI and auto SAN validation), against HTTPS servers in this process.
 */

type Obj = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'proxy-tls-origination-'));
const trusted = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'trusted test CA' });
const other = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'other test CA' });
const trustedCaFile = join(dir, 'trusted-ca.pem');
const servers: Server[] = [];
let goodPort: number;
let wrongNamePort: number;

/** The `outbound|443||www.googleapis.com` cluster istiod generates for the sample. */
const googleApis = goldenClusters('egress-google-apis').clusters.find(
  (c) => c.name === 'outbound|443||www.googleapis.com',
) as EnvoyCluster;

/** The cluster's transport socket with its roots taken from `roots` instead of the system's. */
function transportTrusting(roots: string, extra: Obj = {}): EnvoyTransportSocket {
  const transport = structuredClone(googleApis.transport_socket) as EnvoyTransportSocket & {
    typed_config: Obj;
  };
  const common = transport.typed_config['common_tls_context'] as { combined_validation_context: Obj };
  (common.combined_validation_context['validation_context_sds_secret_config'] as Obj)['name'] = roots;
  Object.assign(transport.typed_config, extra);
  return transport;
}

async function serve(ca: CertificateAuthority, dnsNames: string[]): Promise<number> {
  const issued = ca.issueServerCertificate({ dnsNames });
  const server = createServer({ cert: issued.chainPem.join(''), key: issued.privateKeyPem }, (_req, res) =>
    res.end('ok'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

const originator = new TlsOriginator({
  workload: () => {
    throw new TlsError('TLS_NO_CERTIFICATE', 'no workload certificate in this test');
  },
});

/** Connects as the sidecar would to an endpoint named `endpointHost`; resolves with the outcome. */
function handshake(port: number, transport: EnvoyTransportSocket, endpointHost: string) {
  const derived = withAutoSni(googleApis, transport, endpointHost) as EnvoyTransportSocket;
  const common = (derived.typed_config?.['common_tls_context'] ?? {}) as Obj;
  const combined = common['combined_validation_context'] as Obj | undefined;
  const validation = combined
    ? {
        sds: (combined['validation_context_sds_secret_config'] as { name: string }).name,
        context: combined['default_validation_context'] as Obj,
      }
    : { context: (common['validation_context'] ?? {}) as Obj };
  return new Promise<{ ok: true; servername: string } | { ok: false; error: Error }>((resolve) => {
    const socket: TLSSocket = originator.connect({ host: '127.0.0.1', port }, derived, validation);
    socket.once('secureConnect', () => {
      resolve({ ok: true, servername: String((socket as unknown as { servername?: string }).servername) });
      socket.destroy();
    });
    socket.once('error', (error) => resolve({ ok: false, error }));
  });
}

beforeAll(async () => {
  writeFileSync(trustedCaFile, trusted.certificate.pem);
  goodPort = await serve(trusted, ['api.example.test']);
  wrongNamePort = await serve(trusted, ['other.example']);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe('SANs', () => {
  it('reads every SAN type Node prints, quoted values included', () => {
    const cert = {
      subjectaltname: 'DNS:a.example, DNS:"b,c.example", URI:spiffe://td/ns/x/sa/y, IP Address:10.0.0.1',
    };
    expect(peerSubjectAltNames(cert as PeerCertificate)).toEqual([
      { type: 'DNS', value: 'a.example' },
      { type: 'DNS', value: 'b,c.example' },
      { type: 'URI', value: 'spiffe://td/ns/x/sa/y' },
      { type: 'IP_ADDRESS', value: '10.0.0.1' },
    ]);
  });

  it('lets a wildcard certificate cover one label, and untyped matchers any SAN type', () => {
    const dns = [{ san_type: 'DNS' as const, matcher: { exact: 'www.googleapis.com' } }];
    expect(matchesSubjectAltNames([{ type: 'DNS', value: '*.googleapis.com' }], dns)).toBe(true);
    expect(matchesSubjectAltNames([{ type: 'DNS', value: '*.com' }], dns)).toBe(false);
    expect(matchesSubjectAltNames([{ type: 'URI', value: 'www.googleapis.com' }], dns)).toBe(false);
    const legacy = sanMatchersOf({ match_subject_alt_names: [{ exact: 'spiffe://td/ns/x/sa/y' }] });
    expect(matchesSubjectAltNames([{ type: 'URI', value: 'spiffe://td/ns/x/sa/y' }], legacy)).toBe(true);
  });
});

describe('auto SNI from the cluster', () => {
  it('names a DNS endpoint, else the service host, and asks for SAN validation', () => {
    const transport = googleApis.transport_socket as EnvoyTransportSocket;
    expect(withAutoSni(googleApis, transport, 'www.googleapis.com')?.typed_config).toMatchObject({
      sni: 'www.googleapis.com',
      auto_sni_san_validation: true,
    });
    expect(withAutoSni(googleApis, transport, '142.250.1.95')?.typed_config?.['sni']).toBe(
      'www.googleapis.com',
    );
    const named = transportTrusting('file-root:system', { sni: 'storage.googleapis.com' });
    expect(withAutoSni(googleApis, named, 'www.googleapis.com')).toBe(named);
  });
});

describe('TlsOriginator', () => {
  it('sends the SNI and accepts a server the roots trust whose certificate names the host', async () => {
    const result = await handshake(
      goodPort,
      transportTrusting(`file-root:${trustedCaFile}`),
      'api.example.test',
    );
    expect(result).toEqual({ ok: true, servername: 'api.example.test' });
  });

  it('refuses a trusted certificate for another name, saying which names it had', async () => {
    const result = await handshake(
      wrongNamePort,
      transportTrusting(`file-root:${trustedCaFile}`),
      'api.example.test',
    );
    expect(result.ok).toBe(false);
    expect((result as { error: Error }).error.message).toBe(
      'server identity other.example is not one of the expected DNS {"exact":"api.example.test"}',
    );
  });

  it('verifies against the system roots without caCertificates, and re-reads a rotated CA file', async () => {
    const system = await handshake(goodPort, transportTrusting('file-root:system'), 'api.example.test');
    expect((system as { error: Error }).error.message).toMatch(
      /^server certificate of api\.example\.test is not trusted by file-root:system: /,
    );
    const rotating = join(dir, 'rotating-ca.pem');
    writeFileSync(rotating, other.certificate.pem);
    expect(
      (await handshake(goodPort, transportTrusting(`file-root:${rotating}`), 'api.example.test')).ok,
    ).toBe(false);
    writeFileSync(rotating, trusted.certificate.pem);
    utimesSync(rotating, new Date(), new Date(Date.now() + 5_000));
    expect(
      (await handshake(goodPort, transportTrusting(`file-root:${rotating}`), 'api.example.test')).ok,
    ).toBe(true);
  });

  it('fails closed on a secret it cannot have and on auto SAN validation without a name', async () => {
    const credential = await handshake(
      goodPort,
      transportTrusting('kubernetes://vault-client-cacert'),
      'api.example.test',
    );
    expect((credential as { error: Error }).error.message).toMatch(
      /^secret kubernetes:\/\/vault-client-cacert is not available/,
    );
    const wildcard = { ...googleApis, metadata: {} } as EnvoyCluster;
    const derived = withAutoSni(wildcard, transportTrusting(`file-root:${trustedCaFile}`), '127.0.0.1');
    expect(derived?.typed_config?.['sni']).toBeUndefined();
    const noName = await new Promise<Error>((resolve) =>
      originator
        .connect({ host: '127.0.0.1', port: goodPort }, derived as EnvoyTransportSocket, {
          sds: `file-root:${trustedCaFile}`,
          context: {},
        })
        .once('error', resolve),
    );
    expect(noName.message).toMatch(/^no server name to verify the certificate against/);
  });

  it('presents the client certificate of a MUTUAL rule (file-cert:)', async () => {
    const issued = trusted.issueServerCertificate({ dnsNames: ['client.example.test'] });
    const cert = join(dir, 'client.pem');
    const key = join(dir, 'client-key.pem');
    writeFileSync(cert, issued.chainPem.join(''));
    writeFileSync(key, issued.privateKeyPem);
    const server = trusted.issueServerCertificate({ dnsNames: ['db.example.test'] });
    const mutual = createServer(
      {
        cert: server.chainPem.join(''),
        key: server.privateKeyPem,
        ca: trusted.certificate.pem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => res.end('ok'),
    );
    await new Promise<void>((resolve) => mutual.listen(0, '127.0.0.1', resolve));
    servers.push(mutual);
    const port = (mutual.address() as { port: number }).port;
    const transport = transportTrusting(`file-root:${trustedCaFile}`);
    const common = (transport.typed_config as Obj)['common_tls_context'] as Obj;
    // Without the certificate the server refuses (under TLS 1.3, once the client sends); with it, as
    // istiod names it, the request is answered.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = originator.connect({ host: '127.0.0.1', port }, transport, {
        sds: `file-root:${trustedCaFile}`,
        context: {},
      });
      socket.once('data', () => resolve(false));
      socket.once('error', () => resolve(true));
      socket.once('secureConnect', () => socket.write('GET / HTTP/1.1\r\nHost: db\r\n\r\n'));
    });
    expect(refused).toBe(true);
    common['tls_certificate_sds_secret_configs'] = [{ name: `file-cert:${cert}~${key}` }];
    const presented = await new Promise<string>((resolve) => {
      const socket = originator.connect({ host: '127.0.0.1', port }, transport, {
        sds: `file-root:${trustedCaFile}`,
        context: {},
      });
      socket.once('data', (data: Buffer) => {
        resolve(data.toString().split('\r\n')[0] ?? '');
        socket.destroy();
      });
      socket.once('error', (err) => resolve(err.message));
      socket.once('secureConnect', () => socket.write('GET / HTTP/1.1\r\nHost: db\r\n\r\n'));
    });
    expect(presented).toBe('HTTP/1.1 200 OK');
  });

  it('verifies nothing only with insecureSkipVerify (an empty validation context)', async () => {
    const transport = transportTrusting('unused');
    const common = (transport.typed_config as Obj)['common_tls_context'] as Obj;
    delete common['combined_validation_context'];
    common['validation_context'] = {};
    const result = await new Promise<boolean>((resolve) => {
      const socket = originator.connect({ host: '127.0.0.1', port: wrongNamePort }, transport, {
        context: {},
      });
      socket.once('secureConnect', () => {
        resolve(true);
        socket.destroy();
      });
      socket.once('error', () => resolve(false));
    });
    expect(result).toBe(true);
  });
});
