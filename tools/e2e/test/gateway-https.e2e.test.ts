import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';

/**
 * HTTPS at an Istio ingress gateway on a local mesh (issue 18 item 1), with `credentialName` secrets
 * written the way Istio's docs make them (openssl, then `kubectl create secret tls` or `generic` with
 * tls.crt, tls.key and ca.crt) into the mesh's config: istiod serves them over SDS to
 * `mesh-proxy --capture router`, which terminates TLS with them. Real curl and openssl s_client: a
 * SIMPLE server reaches the backend, a MUTUAL server refuses a client without a certificate, and a
 * replaced secret is served to new connections without a restart.
 */

const GATEWAY = '127.0.54.20';
const BACKEND = '127.0.54.21';
const SIMPLE_PORT = 8443;
const MUTUAL_PORT = 8444;
const ABSENT_PORT = 8445;
const BROKEN_PORT = 8446;
const HOST = 'backend.example.com';

const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(https?|all|no|grpc)_proxy$/i.test(name)),
);

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  selector: { istio: ingressgateway }
  servers:
    - port: { number: ${SIMPLE_PORT}, name: https, protocol: HTTPS }
      hosts: [${HOST}]
      tls: { mode: SIMPLE, credentialName: edge-credential }
    - port: { number: ${MUTUAL_PORT}, name: https-mutual, protocol: HTTPS }
      hosts: [${HOST}]
      tls: { mode: MUTUAL, credentialName: mutual-credential }
    - port: { number: ${ABSENT_PORT}, name: https-absent, protocol: HTTPS }
      hosts: [${HOST}]
      tls: { mode: SIMPLE, credentialName: absent-credential }
    - port: { number: ${BROKEN_PORT}, name: https-broken, protocol: HTTPS }
      hosts: [${HOST}]
      tls: { mode: SIMPLE, credentialName: broken-credential }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: backend-edge, namespace: default }
spec:
  hosts: [${HOST}]
  gateways: [edge]
  http:
    - route: [{ destination: { host: backend, port: { number: 8080 } } }]
`;

const dir = mkdtempSync(join(tmpdir(), 'gateway-https-'));
const file = (name: string) => join(dir, name);
/** openssl with space-separated arguments (none of them holds a space). */
const openssl = (args: string) => execFileSync('openssl', args.split(' '), { cwd: dir, stdio: 'pipe' });
const EC_KEY = '-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes';

/** A CA, as Istio's docs make one (`openssl req -x509 ...`). */
function makeCa(name: string): void {
  openssl(`req -x509 ${EC_KEY} -days 2 -subj /O=example/CN=${name} -keyout ${name}.key -out ${name}.crt`);
}

/** A certificate for `cn` signed by `ca`, with `serial`. */
function makeLeaf(name: string, ca: string, cn: string, serial: number): void {
  openssl(
    `req ${EC_KEY} -subj /CN=${cn} -addext subjectAltName=DNS:${cn} -keyout ${name}.key -out ${name}.csr`,
  );
  openssl(
    `x509 -req -days 2 -CA ${ca}.crt -CAkey ${ca}.key -set_serial ${serial} -copy_extensions copy -in ${name}.csr -out ${name}.crt`,
  );
}

const b64 = (name: string) => readFileSync(file(name)).toString('base64');

/** What `kubectl create secret tls|generic NAME --dry-run=client -o yaml` writes. */
function secretYaml(name: string, leaf: string, ca?: string, key = leaf): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: default }
type: ${ca ? 'Opaque' : 'kubernetes.io/tls'}
data:
  tls.crt: ${b64(`${leaf}.crt`)}
  tls.key: ${b64(`${key}.key`)}
${ca ? `  ca.crt: ${b64(`${ca}.crt`)}\n` : ''}`;
}

/** The Secrets in the mesh's config: `edge` is the SIMPLE server's certificate; `broken` has another's key. */
function secretsYaml(edge: string): string {
  return [
    secretYaml('edge-credential', edge),
    secretYaml('mutual-credential', 'server-1', 'client-ca'),
    secretYaml('broken-credential', 'server-1', undefined, 'client'),
  ].join('---\n');
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { encoding: 'utf8', env: ENV, timeout: 10_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** curl over HTTPS to the gateway with SNI and Host `backend.example.com`, trusting the server CA. */
function curl(port: number, extra: string[] = []): Promise<Run> {
  return run('curl', [
    '-sS',
    '-m',
    '5',
    '-w',
    '\n%{http_code}',
    '--cacert',
    file('server-ca.crt'),
    '--resolve',
    `${HOST}:${port}:${GATEWAY}`,
    ...extra,
    `https://${HOST}:${port}/open/page`,
  ]);
}

/** The leaf certificate `openssl s_client` was served, as PEM. */
async function servedCertificate(port: number): Promise<string> {
  const answer = await run('openssl', ['s_client', '-connect', `${GATEWAY}:${port}`, '-servername', HOST]);
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(answer.stdout)?.[0] ?? '';
}

const pemOf = (name: string) =>
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(readFileSync(file(name), 'utf8'))?.[0];

describe('HTTPS at an ingress gateway with credentialName secrets', () => {
  const mesh = new LoopbackMesh();
  let gateway: SidecarProcess;

  beforeAll(async () => {
    makeCa('server-ca');
    makeCa('client-ca');
    makeLeaf('server-1', 'server-ca', HOST, 1);
    makeLeaf('server-2', 'server-ca', HOST, 2);
    makeLeaf('client', 'client-ca', 'client.example.com', 3);
    mesh.writeConfig('config.yaml', CONFIG);
    mesh.writeConfig('secrets.yaml', secretsYaml('server-1'));
    await mesh.startIstiod();
    const app = await mesh.startApp('backend', BACKEND);
    await mesh.startSidecar({
      name: 'backend-0',
      labels: { app: 'backend' },
      address: BACKEND,
      inbound: { 8080: app },
    });
    gateway = await mesh.startSidecar({
      name: 'ingress-gateway-0',
      serviceAccount: 'ingress-gateway',
      labels: { istio: 'ingressgateway' },
      address: GATEWAY,
      extraArgs: ['--capture', 'router', '--bind-address', GATEWAY],
    });
  }, 60_000);

  afterAll(async () => {
    await mesh.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the credential to curl --cacert and routes to the backend (SIMPLE)', async () => {
    let answer: Run = { code: -1, stdout: '', stderr: '' };
    await waitFor(
      async () => (answer = await curl(SIMPLE_PORT)).stdout.endsWith('\n200'),
      20_000,
      () => `curl exited ${answer.code}: ${answer.stderr}${answer.stdout}`,
    );
    const body = JSON.parse(answer.stdout.slice(0, answer.stdout.lastIndexOf('\n'))) as { app: string };
    expect(body.app).toBe('backend');
    expect(await servedCertificate(SIMPLE_PORT)).toBe(pemOf('server-1.crt'));
    // The admin's config_dump lists the credential, as Envoy's does, with its private key redacted.
    const dump = await (await fetch(`${gateway.adminUrl}/config_dump`)).text();
    const configs = (JSON.parse(dump) as { configs: { '@type': string; dynamic_active_secrets?: [] }[] })
      .configs;
    const secrets = configs.find((c) => c['@type'].endsWith('SecretsConfigDump'))?.dynamic_active_secrets;
    expect((secrets ?? []).map((s: { name: string }) => s.name)).toContain('kubernetes://edge-credential');
    expect(dump).toContain(b64('server-1.crt'));
    expect(dump).not.toContain(b64('server-1.key'));
  });

  it('refuses a client without a certificate on a MUTUAL server, and accepts one the ca.crt signed', async () => {
    const withCert = ['--cert', file('client.crt'), '--key', file('client.key')];
    let answer: Run = { code: -1, stdout: '', stderr: '' };
    await waitFor(
      async () => (answer = await curl(MUTUAL_PORT, withCert)).stdout.endsWith('\n200'),
      20_000,
      () => `curl exited ${answer.code}: ${answer.stderr}${answer.stdout}`,
    );
    const without = await curl(MUTUAL_PORT);
    expect(without.code).not.toBe(0);
    expect(without.stdout).not.toContain('backend');
    // A certificate from another CA (the server's) is refused too.
    const stranger = await curl(MUTUAL_PORT, ['--cert', file('server-2.crt'), '--key', file('server-2.key')]);
    expect(stranger.code).not.toBe(0);
  });

  it('refuses handshakes where the secret is missing or its key is not its own (never plaintext), and istiod names it', async () => {
    await waitFor(
      () => (mesh.istiod?.logs ?? []).some((l) => l.includes('kubernetes://broken-credential')),
      20_000,
      () => 'istiod did not report kubernetes://broken-credential',
    );
    const reported = (mesh.istiod?.logs ?? []).find((l) => l.includes('kubernetes://broken-credential'));
    expect(reported).toContain(
      'Secret default/broken-credential: \\"tls.key\\" does not match the certificate',
    );
    expect(
      (mesh.istiod?.logs ?? []).some((l) => l.includes('Secret default/absent-credential not found')),
    ).toBe(true);
    for (const port of [ABSENT_PORT, BROKEN_PORT]) {
      const answer = await curl(port);
      expect(answer.code).not.toBe(0);
      expect(answer.stdout).not.toContain('backend');
      const plaintext = await run('curl', [
        '-sS',
        '-m',
        '5',
        '-H',
        `Host: ${HOST}`,
        `http://${GATEWAY}:${port}/open/page`,
      ]);
      expect(plaintext.stdout).not.toContain('backend');
    }
  });

  it('serves a replaced secret to new connections, without a restart', async () => {
    mesh.writeConfig('secrets.yaml', secretsYaml('server-2'));
    let served = '';
    await waitFor(
      async () => (served = await servedCertificate(SIMPLE_PORT)) === pemOf('server-2.crt'),
      20_000,
      () => `still served:\n${served}`,
    );
    expect((await curl(SIMPLE_PORT)).stdout.endsWith('\n200')).toBe(true);
  });
});
