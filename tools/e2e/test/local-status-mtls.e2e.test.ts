import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { LoopbackMesh, waitFor } from './mesh-processes.js';
import { meshctl } from './processes.js';

/**
 * `meshctl local status` says, port by port, the mTLS mode a real sidecar enforces (read from the
 * listeners it holds): a port-level PeerAuthentication (STRICT on 9080, PERMISSIVE on 9090) shows as
 * `9080:STRICT 9090:PERMISSIVE`, and a plaintext client is refused on 9080 and served on 9090. When the policy's file breaks, istiod
 * keeps its last good version in force and status goes on showing it.
 */

const ADDRESS = '127.0.47.2';

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec:
  selector: { app: reviews }
  ports:
    - { name: http, port: 9080, targetPort: 9080 }
    - { name: http-admin, port: 9090, targetPort: 9090 }
`;

const portLevel = (mode: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews, namespace: default }
spec:
  selector: { matchLabels: { app: reviews } }
  mtls: { mode: ${mode} }
  portLevelMtls:
    9090: { mode: PERMISSIVE }
`;

const mesh = new LoopbackMesh();
/** The sidecar's admin port, which status asks for the listeners it holds. */
let adminPort = 0;

/** The HTTP status a plaintext client without a sidecar gets from the sidecar's port (0: refused). */
async function plaintext(port: number): Promise<number> {
  const stdout = await new Promise<string>((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${ADDRESS}:${port}/`],
      { env: { ...process.env, no_proxy: '*' } },
      (_err, out) => resolve(out),
    ),
  );
  return Number(stdout);
}

/**
 * `meshctl local status` on istiod's own state directory (where istiod keeps its last good copy), with
 * the run state `meshctl local up` would leave there: this test process as the supervisor, the
 * sidecar as the one workload instance.
 */
function status(): { workloads: { instance: string; mtls: string }[] } {
  const { xdsPort, secureXdsPort, monitoringPort } = mesh.istiod!.ports;
  mkdirSync(join(mesh.stateDir, 'local'), { recursive: true });
  writeFileSync(
    join(mesh.stateDir, 'local', 'run.json'),
    JSON.stringify({
      ...{ mesh: 'status-mtls', meshFile: '', mode: 'explicit', supervisorPid: process.pid },
      ...{ startedAt: new Date().toISOString(), ready: true, configDir: mesh.configDir },
      istiod: { xdsPort, secureXdsPort, monitoringPort, log: '' },
      instances: [
        {
          ...{ instance: 'reviews-0', workload: 'reviews', namespace: 'default', serviceAccount: 'reviews' },
          ...{ identity: 'spiffe://cluster.local/ns/default/sa/reviews', labels: { app: 'reviews' } },
          ...{
            address: ADDRESS,
            ports: [9080, 9090],
            adminPort,
            appPorts: {},
            sidecar: true,
            env: {},
            logs: { app: '' },
          },
        },
      ],
    }),
  );
  const result = meshctl(['local', 'status', '--state-dir', mesh.stateDir, '-o', 'json']);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

beforeAll(async () => {
  mesh.writeConfig('services.yaml', SERVICE);
  mesh.writeConfig('mtls.yaml', portLevel('STRICT'));
  await mesh.startIstiod();
  const app = await mesh.startApp('reviews', ADDRESS);
  const sidecar = await mesh.startSidecar({
    name: 'reviews-0',
    serviceAccount: 'reviews',
    labels: { app: 'reviews' },
    address: ADDRESS,
    inbound: { 9080: app, 9090: app },
  });
  adminPort = Number(new URL(sidecar.adminUrl).port);
  await waitFor(
    async () => (await plaintext(9080)) === 0 && (await plaintext(9090)) === 200,
    20_000,
    async () => `plaintext got ${await plaintext(9080)} on 9080 and ${await plaintext(9090)} on 9090`,
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
});

it('shows the port-level modes the sidecar enforces', () => {
  expect(status().workloads).toMatchObject([{ instance: 'reviews-0', mtls: '9080:STRICT 9090:PERMISSIVE' }]);
});

it('goes on showing the last good version istiod keeps when the policy file breaks', async () => {
  mesh.writeConfig('mtls.yaml', portLevel('STRICTT'));
  await waitFor(
    async () => {
      const monitoring = `http://127.0.0.1:${mesh.istiod?.ports.monitoringPort}/debug/configz`;
      const configz = (await (await fetch(monitoring)).json()) as { lastGoodKept: unknown[] };
      return configz.lastGoodKept.length === 1;
    },
    10_000,
    () => 'istiod did not keep the last good PeerAuthentication',
  );
  expect(await plaintext(9080)).toBe(0);
  expect(await plaintext(9090)).toBe(200);
  expect(status().workloads).toMatchObject([{ instance: 'reviews-0', mtls: '9080:STRICT 9090:PERMISSIVE' }]);
});
