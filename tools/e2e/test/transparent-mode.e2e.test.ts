import { chownSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from './mesh-processes.js';
import { enableForwarding, PodNetwork } from './pod-network.js';
import { BIN, meshctl, startIstiodProcess, type IstiodProcess } from './processes.js';

/**
 * Transparent mode as in a Kubernetes pod: each workload in its own network namespace, the rules of
 * `mesh-proxy istio-iptables` (what Istio's init container applies) sending its traffic to the sidecar
 * running as uid 1337, and applications that know nothing of the mesh: `curl http://backend:8080`
 * resolves the service VIP from the pod's hosts file, and the sidecars carry it over mTLS.
 */

const PROXY_UID = 1337;
const VIP = '10.96.50.10';
const tag = `t${process.pid % 10000}`;
const dir = mkdtempSync(join(tmpdir(), 'mesh-transparent-'));
const hosts = `${VIP} backend backend.default backend.default.svc.cluster.local\n`;
let istiod: IstiodProcess;
let client: PodNetwork;
let backend: PodNetwork;
let restoreForwarding: () => void = () => undefined;

const APP = `require('node:http').createServer((req, res) => res.end(JSON.stringify({ app: 'backend', path: req.url, headers: req.headers }))).listen(8080, '0.0.0.0')`;

async function startPod(pod: PodNetwork, name: string, labels: string): Promise<void> {
  const token = meshctl([
    'local',
    'token',
    'create',
    '-n',
    'default',
    '--sa',
    name,
    '--state-dir',
    join(dir, 'state'),
  ]);
  if (token.status !== 0) throw new Error(token.stderr);
  const tokenFile = join(dir, `${name}.token`);
  writeFileSync(tokenFile, token.stdout.trim(), { mode: 0o600 });
  chownSync(tokenFile, PROXY_UID, PROXY_UID);
  const iptables = await pod.exec(process.execPath, [BIN.proxy, 'istio-iptables', '-u', String(PROXY_UID)]);
  if (iptables.status !== 0) throw new Error(`istio-iptables: ${iptables.stderr}`);
  const sidecar = pod.spawn(
    process.execPath,
    [
      BIN.proxy,
      ...['--pod-name', name, '--namespace', 'default', '--service-account', name],
      ...['--instance-ip', pod.podIp, '--labels', labels, '--token-file', tokenFile],
      ...[
        '--xds-address',
        `${pod.hostIp}:${istiod.ports.xdsPort}`,
        '--ca-address',
        `${pod.hostIp}:${istiod.ports.xdsPort}`,
      ],
      ...['--ca-renewal-address', `${pod.hostIp}:${istiod.ports.secureXdsPort}`, '--capture', 'transparent'],
    ],
    { uid: PROXY_UID, gid: PROXY_UID },
  );
  const logs: string[] = [];
  sidecar.stdout?.setEncoding('utf8').on('data', (d: string) => logs.push(d));
  sidecar.stderr?.setEncoding('utf8').on('data', (d: string) => logs.push(d));
  await waitFor(
    async () => (await fetch(`http://${pod.podIp}:15021/healthz/ready`)).status === 200,
    20_000,
    () => `${name} not ready:\n${logs.join('')}`,
  );
}

beforeAll(async () => {
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'mesh.yaml'),
    `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  clusterIP: ${VIP}
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
`,
  );
  restoreForwarding = enableForwarding();
  istiod = await startIstiodProcess([
    '--config-dir',
    dir,
    '--state-dir',
    join(dir, 'state'),
    '--listen-address',
    '0.0.0.0',
    '--push-debounce',
    '10ms',
  ]);
  client = new PodNetwork(1, tag, hosts);
  backend = new PodNetwork(2, tag, hosts);
  backend.spawn(process.execPath, ['-e', APP]);
  await startPod(backend, 'backend', 'app=backend');
  await startPod(client, 'client', 'app=client');
}, 90_000);

afterAll(async () => {
  await client?.destroy();
  await backend?.destroy();
  await istiod?.stop();
  restoreForwarding();
  rmSync(dir, { recursive: true, force: true });
});

it('an unmodified client reaches the service VIP through both sidecars over mTLS', async () => {
  let reply = { status: null as number | null, stdout: '', stderr: '' };
  await waitFor(
    async () => {
      reply = await client.exec('curl', ['-s', '-m', '5', 'http://backend:8080/hello']);
      return reply.stdout.includes('"app":"backend"');
    },
    20_000,
    () => JSON.stringify(reply),
  );
  const seen = JSON.parse(reply.stdout) as { path: string; headers: Record<string, string> };
  expect(seen.path).toBe('/hello');
  // The server-side sidecar terminated mTLS and saw the client's identity; the app saw plain HTTP.
  expect(seen.headers['x-forwarded-client-cert']).toContain(
    'URI=spiffe://cluster.local/ns/default/sa/client',
  );
});

it('leaves the excluded status port alone and captures the rest', async () => {
  const ready = await client.exec('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    `http://${backend.podIp}:15021/healthz/ready`,
  ]);
  expect(ready.stdout).toBe('200');
  const metrics = await client.exec('curl', ['-s', 'http://127.0.0.1:15090/stats/prometheus']);
  expect(metrics.stdout).toMatch(
    /istio_requests_total\{reporter="source",source_workload="client"[^}]*destination_service="backend.default.svc.cluster.local"/,
  );
});
