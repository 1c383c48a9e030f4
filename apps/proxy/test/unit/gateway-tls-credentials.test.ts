import { createHash, X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';

import { createSelfSignedRoot } from '@mesh/pki';
import type { DownstreamTls, EnvoyCluster, EnvoyTransportSocket, HeldResource, Secret } from '@mesh/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SdsSecrets } from '../../src/tls/sds-secrets.js';
import { WorkloadTls } from '../../src/tls/workload-tls.js';
import { sdsNamesOf } from '../../src/xds/resource-references.js';
import { goldenClusters } from './golden-xds.js';

/**
 * The rest of what a gateway does with istiod's SDS secrets: a DestinationRule `credentialName`
 * (istiod's golden `vault.partner.example` cluster) presents the credential and verifies the server
 * against `-cacert`; a MUTUAL server's `subjectAltNames` and `verifyCertificateHash` decide which
 * trusted client certificates get in.
 */

type Obj = Record<string, unknown>;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const serverCa = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'server CA' });
const clientCa = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'client CA' });

function issued(ca: typeof serverCa, dnsName: string) {
  const leaf = ca.issueServerCertificate({ dnsNames: [dnsName] });
  return { cert: leaf.chainPem.join(''), key: leaf.privateKeyPem, pem: leaf.certificatePem };
}

function held(entries: Secret[]): Map<string, HeldResource<Secret>> {
  return new Map(entries.map((resource) => [resource.name ?? '', { resource, version: '1' }]));
}

const certificateSecret = (name: string, pair: { cert: string; key: string }): Secret => ({
  name,
  tls_certificate: {
    certificate_chain: { inline_bytes: b64(pair.cert) },
    private_key: { inline_bytes: b64(pair.key) },
  },
});
const rootsSecret = (name: string, ca: typeof serverCa): Secret => ({
  name,
  validation_context: { trusted_ca: { inline_bytes: b64(ca.trustBundle.toPem()) } },
});

describe('DestinationRule credentialName on a gateway', () => {
  const vault = goldenClusters('simple-tls-verification').clusters.find(
    (c) => c.name === 'outbound|443||vault.partner.example',
  ) as EnvoyCluster;
  const transport = structuredClone(vault.transport_socket) as EnvoyTransportSocket & { typed_config: Obj };
  transport.typed_config['sni'] = 'vault.partner.example';
  let server: HttpsServer;
  let port: number;
  let clientSeen: string | undefined;

  beforeAll(async () => {
    server = createHttpsServer(
      { ...issued(serverCa, 'vault.partner.example'), ca: clientCa.trustBundle.toPem(), requestCert: true },
      (req, res) => {
        clientSeen = (req.socket as TLSSocket).getPeerCertificate().subjectaltname;
        res.end('vault');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function originate(originator: WorkloadTls): Promise<{ authorized?: boolean; error?: string }> {
    return new Promise((resolve) => {
      const socket = originator.connect({ host: '127.0.0.1', port }, transport);
      socket.on('secureConnect', () => {
        socket.end('GET / HTTP/1.1\r\nhost: vault.partner.example\r\nconnection: close\r\n\r\n');
        socket.on('data', () => undefined);
        socket.on('end', () => resolve({ authorized: socket.authorized }));
      });
      socket.on('error', (err) => resolve({ error: err.message }));
    });
  }

  it('asks istiod for the credential and its -cacert', () => {
    expect([...sdsNamesOf([], [vault])].sort()).toEqual([
      'kubernetes://vault-client',
      'kubernetes://vault-client-cacert',
    ]);
  });

  it('presents the credential and verifies the server against -cacert', async () => {
    const secrets = held([
      certificateSecret('kubernetes://vault-client', issued(clientCa, 'gateway.example.com')),
      rootsSecret('kubernetes://vault-client-cacert', serverCa),
    ]);
    const answer = await originate(new WorkloadTls(new SdsSecrets(() => secrets)));
    expect(answer).toEqual({ authorized: true });
    expect(clientSeen).toBe('DNS:gateway.example.com');
  });

  it('fails closed while the secret has not come, and on a sidecar, which gets none', async () => {
    const empty = new SdsSecrets(() => new Map());
    expect((await originate(new WorkloadTls(empty))).error).toBe(
      'secret kubernetes://vault-client has not been received from istiod',
    );
    expect((await originate(new WorkloadTls())).error).toContain(
      'istiod serves kubernetes:// secrets to gateways only',
    );
  });
});

describe("a MUTUAL server's subjectAltNames and verifyCertificateHash", () => {
  const allowed = issued(clientCa, 'client.example.com');
  const otherName = issued(clientCa, 'other.example.com');
  const secondAllowed = issued(clientCa, 'client.example.com');
  const secrets = held([
    certificateSecret('kubernetes://edge', issued(serverCa, 'edge.example.com')),
    rootsSecret('kubernetes://edge-cacert', clientCa),
  ]);
  const tls = new WorkloadTls(new SdsSecrets(() => secrets));
  let server: Server;
  let port: number;
  let validation: Obj = {};

  const chain = (): DownstreamTls => ({
    requireClientCertificate: true,
    socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'kubernetes://edge' }],
          combined_validation_context: {
            default_validation_context: validation,
            validation_context_sds_secret_config: { name: 'kubernetes://edge-cacert' },
          },
        },
        require_client_certificate: { value: true },
      },
    },
  });

  beforeAll(async () => {
    server = createServer((socket: Socket) => {
      socket.on('error', () => undefined);
      tls.accept(socket, chain()).then(
        (secure) => secure.end('served'),
        () => socket.destroy(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function served(client: { cert: string; key: string }): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: serverCa.trustBundle.toPem(),
        ...client,
        servername: 'edge.example.com',
      });
      let body = '';
      socket.on('data', (d: Buffer) => (body += d.toString()));
      socket.on('end', () => resolve(body === 'served'));
      socket.on('error', () => resolve(false));
    });
  }

  it('lets in only a client whose SAN matches', async () => {
    validation = {
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'client.example.com' } }],
    };
    expect(await served(allowed)).toBe(true);
    expect(await served(otherName)).toBe(false);
  });

  it('lets in only a client whose certificate hash is pinned', async () => {
    const hash = createHash('sha256').update(new X509Certificate(allowed.pem).raw).digest('hex');
    validation = { verify_certificate_hash: [hash.toUpperCase().replace(/(..)(?!$)/g, '$1:')] };
    expect(await served(allowed)).toBe(true);
    expect(await served(secondAllowed)).toBe(false);
  });
});
