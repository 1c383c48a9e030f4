import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { ThrowawayCa, type CertificateFiles } from './tls-peers.js';

/**
 * TLS origination to hosts outside the mesh, shaped like Istio's `egress-rule-google-apis` sample:
 * the app calls `http://<host>/` through its sidecar, a VirtualService moves the call to port 443,
 * and a DestinationRule `tls: { mode: SIMPLE }` makes the sidecar originate TLS. HTTPS servers in
 * this process stand in for the external hosts, with certificates from throwaway CAs. The sidecar
 * must send the host as SNI, check the certificate names it and chains to the configured CA (or,
 * without `caCertificates`, to the system's roots), and answer 503 with the reason otherwise.
 */

const mesh = new LoopbackMesh();
const certDir = mkdtempSync(join(tmpdir(), 'mesh-tls-origination-'));
const servers: Server[] = [];
const sniSeen = new Map<string, string>();
let client: SidecarProcess;
let trustedCa: string;

/** One external host: where its stand-in listens and what its certificate says. */
interface ExternalHost {
  host: string;
  address: string;
  certificate: CertificateFiles;
  tls: string;
}

async function startExternal(name: string, address: string, certificate: CertificateFiles): Promise<number> {
  const server = createServer(
    { cert: readFileSync(certificate.cert), key: readFileSync(certificate.key) },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from ${name}`);
    },
  );
  server.on('secureConnection', (socket) => sniSeen.set(name, socket.servername || '(none)'));
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

/** ServiceEntry, port rewrite and DestinationRule for one host, as the Istio sample writes them. */
function externalConfig(external: ExternalHost, port: number): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${external.host.split('.')[0]}, namespace: default }
spec:
  hosts: [${external.host}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports:
    - { number: 80, name: http, protocol: HTTP }
    - { number: 443, name: https, protocol: HTTPS }
  endpoints:
    - address: ${external.address}
      ports: { https: ${port} }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${external.host.split('.')[0]}, namespace: default }
spec:
  hosts: [${external.host}]
  http:
    - match: [{ port: 80 }]
      route: [{ destination: { host: ${external.host}, port: { number: 443 } } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${external.host.split('.')[0]}, namespace: default }
spec:
  host: ${external.host}
  trafficPolicy:
    portLevelSettings:
      - port: { number: 443 }
        tls: ${external.tls}
`;
}

/** curl as the app runs it, through its sidecar's forward proxy. */
function call(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', '-o', '-', '-w', '\n%{http_code}', `http://${host}/`],
      { encoding: 'utf8', env: { ...process.env, http_proxy: client.proxyUrl, no_proxy: '' } },
      (_err, out) => {
        const lines = String(out).trimEnd().split('\n');
        resolve({ status: Number(lines.pop()), body: lines.join('\n') });
      },
    ),
  );
}

beforeAll(async () => {
  const trusted = new ThrowawayCa(certDir, 'trusted');
  const unknown = new ThrowawayCa(certDir, 'unknown');
  trustedCa = trusted.ca;
  const simple = `{ mode: SIMPLE, caCertificates: ${trusted.ca} }`;
  const externals: ExternalHost[] = [
    {
      host: 'api.external.test',
      address: '127.0.202.11',
      certificate: trusted.serverCertificate('api', ['api.external.test']),
      tls: simple,
    },
    // From the trusted CA: only the name is wrong.
    {
      host: 'wrong-name.external.test',
      address: '127.0.202.12',
      certificate: trusted.serverCertificate('wrong', ['other.example']),
      tls: simple,
    },
    {
      host: 'untrusted.external.test',
      address: '127.0.202.13',
      certificate: unknown.serverCertificate('untrusted', ['untrusted.external.test']),
      tls: simple,
    },
    {
      host: 'system.external.test',
      address: '127.0.202.14',
      certificate: trusted.serverCertificate('system', ['system.external.test']),
      tls: '{ mode: SIMPLE }',
    },
    {
      host: 'insecure.external.test',
      address: '127.0.202.15',
      certificate: unknown.serverCertificate('insecure', ['other.example']),
      tls: '{ mode: SIMPLE, insecureSkipVerify: true }',
    },
  ];
  const configs: string[] = [];
  for (const external of externals) {
    const port = await startExternal(external.host, external.address, external.certificate);
    configs.push(externalConfig(external, port));
  }
  mesh.writeConfig('external.yaml', configs.join('---\n'));
  await mesh.startIstiod();
  client = await mesh.startSidecar({ name: 'app-1', labels: { app: 'app' }, address: '127.0.202.1' });
  await waitFor(
    async () => (await call('api.external.test')).status !== 404,
    15_000,
    () => client.logs.join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await mesh.stop();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(certDir, { recursive: true, force: true });
});

describe('DestinationRule SIMPLE to an external host', () => {
  it('reaches a server whose certificate names the host and chains to caCertificates, with the host as SNI', async () => {
    const response = await call('api.external.test');
    expect(response).toEqual({ status: 200, body: 'hello from api.external.test' });
    expect(sniSeen.get('api.external.test')).toBe('api.external.test');
  });

  it('refuses a certificate for another name from the trusted CA: 503 naming both names', async () => {
    const response = await call('wrong-name.external.test');
    expect(response.status).toBe(503);
    expect(response.body).toContain(
      'server identity other.example is not one of the expected DNS {"exact":"wrong-name.external.test"}',
    );
    expect(response.body).not.toContain('is not trusted');
  });

  it('refuses a certificate from a CA other than caCertificates', async () => {
    const response = await call('untrusted.external.test');
    expect(response.status).toBe(503);
    expect(response.body).toContain(
      `server certificate of untrusted.external.test is not trusted by file-root:${trustedCa}`,
    );
  });

  it('without caCertificates verifies against the system roots, which do not know a private CA', async () => {
    const response = await call('system.external.test');
    expect(response.status).toBe(503);
    expect(response.body).toContain(
      'server certificate of system.external.test is not trusted by file-root:system',
    );
  });

  it('verifies nothing only when insecureSkipVerify says so', async () => {
    expect(await call('insecure.external.test')).toEqual({
      status: 200,
      body: 'hello from insecure.external.test',
    });
  });
});
