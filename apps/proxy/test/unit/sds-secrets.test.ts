import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';

import { createSelfSignedRoot } from '@mesh/pki';
import {
  downstreamTlsOf,
  TypeUrl,
  type DownstreamTls,
  type EnvoyListener,
  type HeldResource,
  type Secret,
} from '@mesh/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { SdsSecrets, secretProblems } from '../../src/tls/sds-secrets.js';
import { WorkloadTls } from '../../src/tls/workload-tls.js';
import { proxyCapabilityErrors } from '../../src/xds/proxy-capabilities.js';
import { sdsNamesOf } from '../../src/xds/resource-references.js';

/**
 * A gateway's `credentialName` secrets on the proxy: which SDS names its listeners make it ask istiod
 * for (istiod's golden gateway output), which secrets it NACKs, and the TLS it terminates with the
 * accepted ones: SIMPLE serves the credential, MUTUAL verifies clients against `-cacert`, a missing
 * secret refuses the handshake, a rotation is served to the next connection.
 */

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const serverCa = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'gateway test CA' });
const clientCa = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'client test CA' });
const strangerCa = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'stranger CA' });

function credential(name: string, dnsName: string): Secret & { pem: string } {
  const issued = serverCa.issueServerCertificate({ dnsNames: [dnsName] });
  return {
    name,
    pem: issued.certificatePem,
    tls_certificate: {
      certificate_chain: { inline_bytes: b64(issued.chainPem.join('')) },
      private_key: { inline_bytes: b64(issued.privateKeyPem) },
    },
  } as Secret & { pem: string };
}

const cacert = (name: string): Secret => ({
  name,
  validation_context: { trusted_ca: { inline_bytes: b64(clientCa.trustBundle.toPem()) } },
});

const listeners = (
  parse(
    readFileSync(
      new URL(
        '../../../../libs/xds/src/generation/testdata/gateway/https-simple-mutual-redirect.out.yaml',
        import.meta.url,
      ),
      'utf8',
    ),
  ) as { listeners: EnvoyListener[] }
).listeners;

/** The HTTPS listener's chain for a server name (httpbin: SIMPLE, admin: MUTUAL). */
function chainTls(serverName: string): DownstreamTls {
  const listener = listeners.find((l) => l.name === '0.0.0.0_443') as EnvoyListener;
  const chain = (listener.filter_chains ?? []).find((c) =>
    c.filter_chain_match?.server_names?.includes(serverName),
  );
  if (!chain) throw new Error(`no chain for ${serverName} in the golden listener`);
  return downstreamTlsOf(chain) as DownstreamTls;
}

describe('SDS secrets on the proxy', () => {
  it('asks istiod for the kubernetes:// credentials and -cacert companions its gateway listeners name', () => {
    expect([...sdsNamesOf(listeners, [])].sort()).toEqual([
      'kubernetes://admin-credential',
      'kubernetes://admin-credential-cacert',
      'kubernetes://httpbin-credential',
    ]);
  });

  it('NACKs a secret whose key does not match its certificate, or whose PEM does not parse', () => {
    const good = credential('kubernetes://good', 'good.example.com');
    const other = credential('kubernetes://other', 'other.example.com');
    const mismatched: Secret = {
      name: 'kubernetes://mismatched',
      tls_certificate: { ...good.tls_certificate, private_key: other.tls_certificate?.private_key },
    };
    const garbled: Secret = {
      name: 'kubernetes://garbled',
      tls_certificate: {
        certificate_chain: {
          inline_bytes: b64('-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n'),
        },
        private_key: good.tls_certificate?.private_key,
      },
    };
    const badRoots: Secret = {
      name: 'kubernetes://x-cacert',
      validation_context: { trusted_ca: { inline_bytes: b64('roots') } },
    };
    expect(secretProblems(good)).toEqual([]);
    expect(secretProblems(cacert('kubernetes://good-cacert'))).toEqual([]);
    expect(secretProblems(mismatched)).toEqual([
      'Secret kubernetes://mismatched: tls_certificate.private_key: does not match the certificate',
    ]);
    expect(secretProblems(garbled)[0]).toMatch(
      /^Secret kubernetes:\/\/garbled: tls_certificate\.certificate_chain: certificate 0 does not parse/,
    );
    expect(secretProblems(badRoots)).toEqual([
      'Secret kubernetes://x-cacert: validation_context.trusted_ca: no PEM certificate',
    ]);
    const update = {
      typeUrl: TypeUrl.Secret,
      version: '2',
      updated: [good, mismatched].map((resource) => ({ name: resource.name ?? '', version: '2', resource })),
      removed: [],
    };
    expect(proxyCapabilityErrors(update)).toHaveLength(1);
  });

  it('reads the accepted version of a secret, and says which one has not arrived', () => {
    const held = new Map<string, HeldResource<Secret>>();
    const secrets = new SdsSecrets(() => held);
    expect(() => secrets.certificate('kubernetes://httpbin-credential')).toThrow(
      'secret kubernetes://httpbin-credential has not been received from istiod',
    );
    held.set('kubernetes://c', { resource: cacert('kubernetes://c'), version: '1' });
    expect(() => secrets.certificate('kubernetes://c')).toThrow('does not hold a certificate');
    const first = credential('kubernetes://httpbin-credential', 'httpbin.example.com');
    held.set('kubernetes://httpbin-credential', { resource: first, version: '1' });
    const before = secrets.certificate('kubernetes://httpbin-credential');
    held.set('kubernetes://httpbin-credential', {
      resource: credential('kubernetes://httpbin-credential', 'httpbin.example.com'),
      version: '2',
    });
    const after = secrets.certificate('kubernetes://httpbin-credential');
    expect(after.stamp).not.toBe(before.stamp);
    expect(after.cert).not.toBe(before.cert);
  });
});

describe('TLS a gateway terminates with SDS secrets', () => {
  const held = new Map<string, HeldResource<Secret>>();
  const tls = new WorkloadTls(new SdsSecrets(() => held));
  let server: Server;
  let port: number;
  /** Which chain the next connection is handed to (the listener's SNI selection is not under test). */
  let chain: DownstreamTls;

  beforeAll(async () => {
    server = createServer((socket: Socket) => {
      socket.on('error', () => undefined);
      tls.accept(socket, chain).then(
        (secure) => secure.end('served'),
        () => socket.destroy(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** A real TLS client: the certificate it was served and what it read, or the error. */
  function handshake(
    serverName: string,
    client: { cert?: string; key?: string } = {},
  ): Promise<{ peer?: PeerCertificate; body?: string; error?: string }> {
    return new Promise((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: serverName,
        ca: serverCa.trustBundle.toPem(),
        ...client,
      });
      let body = '';
      let peer: PeerCertificate | undefined;
      socket.on('secureConnect', () => (peer = socket.getPeerCertificate()));
      socket.on('data', (d: Buffer) => (body += d.toString()));
      socket.on('end', () => resolve({ ...(peer ? { peer } : {}), body }));
      socket.on('error', (err) => resolve({ error: err.message }));
    });
  }

  it('refuses the handshake while the credential has not arrived (no plaintext, no other certificate)', async () => {
    chain = chainTls('httpbin.example.com');
    const answer = await handshake('httpbin.example.com');
    expect(answer.body ?? '').not.toContain('served');
    expect(answer.error ?? 'closed before any data').toBeTruthy();
  });

  it('serves the credential (SIMPLE), and a rotated one to the next connection', async () => {
    chain = chainTls('httpbin.example.com');
    const first = credential('kubernetes://httpbin-credential', 'httpbin.example.com');
    held.set('kubernetes://httpbin-credential', { resource: first, version: '1' });
    const answer = await handshake('httpbin.example.com');
    expect(answer.body).toBe('served');
    expect(answer.peer?.subjectaltname).toBe('DNS:httpbin.example.com');
    const second = credential('kubernetes://httpbin-credential', 'httpbin.example.com');
    held.set('kubernetes://httpbin-credential', { resource: second, version: '2' });
    const rotated = await handshake('httpbin.example.com');
    expect(rotated.body).toBe('served');
    expect(rotated.peer?.serialNumber).not.toBe(answer.peer?.serialNumber);
  });

  it('requires a client certificate the -cacert roots trust (MUTUAL)', async () => {
    chain = chainTls('admin.example.com');
    held.set('kubernetes://admin-credential', {
      resource: credential('kubernetes://admin-credential', 'admin.example.com'),
      version: '1',
    });
    held.set('kubernetes://admin-credential-cacert', {
      resource: cacert('kubernetes://admin-credential-cacert'),
      version: '1',
    });
    const client = clientCa.issueServerCertificate({ dnsNames: ['client.example.com'] });
    const stranger = strangerCa.issueServerCertificate({ dnsNames: ['client.example.com'] });
    expect((await handshake('admin.example.com')).body).not.toBe('served');
    const untrusted = await handshake('admin.example.com', {
      cert: stranger.chainPem.join(''),
      key: stranger.privateKeyPem,
    });
    expect(untrusted.body).not.toBe('served');
    const trusted = await handshake('admin.example.com', {
      cert: client.chainPem.join(''),
      key: client.privateKeyPem,
    });
    expect(trusted.body).toBe('served');
  });

  it('verifies a client certificate that is offered when none is required (OPTIONAL_MUTUAL)', async () => {
    const mutual = chainTls('admin.example.com');
    const optional = structuredClone(mutual.socket);
    (optional.typed_config as Record<string, unknown>)['require_client_certificate'] = { value: false };
    chain = { socket: optional, requireClientCertificate: false };
    const stranger = strangerCa.issueServerCertificate({ dnsNames: ['client.example.com'] });
    expect((await handshake('admin.example.com')).body).toBe('served');
    const untrusted = await handshake('admin.example.com', {
      cert: stranger.chainPem.join(''),
      key: stranger.privateKeyPem,
    });
    expect(untrusted.body).not.toBe('served');
  });
});
