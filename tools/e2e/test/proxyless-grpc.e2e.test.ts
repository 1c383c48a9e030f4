import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials, type Server } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callMany, EchoClient, startEchoBackend, type EchoClient as EchoClientType } from './grpc-echo.js';
import { startIstiodProcess, type IstiodProcess } from './processes.js';

/**
 * Istio's proxyless gRPC walkthrough against `istiod` as users start it: a Service, WorkloadEntries for
 * two real gRPC backends (v1, v2), a DestinationRule with subsets and a VirtualService (80/20, plus a
 * header match to v2), all as YAML in the config directory; `@grpc/grpc-js-xds` clients dial
 * `xds:///echo.default.svc.cluster.local:50051`.
 */
const TARGET = 'echo.default.svc.cluster.local:50051';

const virtualService = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: echo
  namespace: default
spec:
  hosts: [echo]
  http:
  - match:
    - headers:
        x-canary: {exact: "yes"}
    route:
    - destination: {host: echo, subset: v2}
  - route:
    - destination: {host: echo, subset: v1}
      weight: ${v1}
    - destination: {host: echo, subset: v2}
      weight: ${v2}
`;

function meshConfig(ports: { v1: number; v2: number }): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: default
spec:
  selector: {app: echo}
  ports:
  - name: grpc
    port: 50051
---
${[1, 2]
  .map(
    (v) => `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: echo-v${v}
  namespace: default
spec:
  address: 127.0.0.1
  ports: {grpc: ${v === 1 ? ports.v1 : ports.v2}}
  labels: {app: echo, version: v${v}}
  serviceAccount: echo
`,
  )
  .join('---\n')}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: echo
  namespace: default
spec:
  host: echo
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
`;
}

describe('proxyless gRPC through istiod', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'e2e-mesh-')), mkdtempSync(join(tmpdir(), 'e2e-state-'))];
  const [configDir, stateDir] = dirs as [string, string];
  const backends: Server[] = [];
  let istiod: IstiodProcess;
  let client: EchoClientType;
  const client_ = () => client;

  beforeAll(async () => {
    const v1 = await startEchoBackend('v1');
    const v2 = await startEchoBackend('v2');
    backends.push(v1.server, v2.server);
    writeFileSync(join(configDir, 'echo.yaml'), meshConfig({ v1: v1.port, v2: v2.port }));
    writeFileSync(join(configDir, 'echo-routes.yaml'), virtualService(80, 20));
    istiod = await startIstiodProcess({ configDir, stateDir });
    // grpc-js-xds reads its bootstrap once per process, so it is set before it is loaded.
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [
        {
          server_uri: `127.0.0.1:${istiod.ports.xdsPort}`,
          channel_creds: [{ type: 'insecure' }],
          server_features: ['xds_v3'],
        },
      ],
      node: {
        id: 'sidecar~127.0.0.1~client.default~default.svc.cluster.local',
        locality: {},
        metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' },
      },
    });
    delete process.env['GRPC_XDS_BOOTSTRAP'];
    const xds = await import('@grpc/grpc-js-xds');
    xds.register();
    client = new EchoClient(`xds:///${TARGET}`, credentials.createInsecure()) as unknown as EchoClientType;
  });

  afterAll(async () => {
    client?.close();
    for (const server of backends) server.forceShutdown();
    await istiod?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('splits 80/20 by the VirtualService and sends x-canary: yes to v2', async () => {
    const split = await callMany(client, 500);
    expect((split['v1'] ?? 0) / 500).toBeGreaterThanOrEqual(0.74);
    expect((split['v1'] ?? 0) / 500).toBeLessThanOrEqual(0.86);
    expect((split['v2'] ?? 0) / 500).toBeGreaterThanOrEqual(0.14);
    expect((split['v2'] ?? 0) / 500).toBeLessThanOrEqual(0.26);
    expect(await callMany(client, 100, { 'x-canary': 'yes' })).toEqual({ v2: 100 });
  });

  it('follows an edited VirtualService file within 2 seconds', async () => {
    writeFileSync(join(configDir, 'echo-routes.yaml'), virtualService(0, 100));
    const edited = Date.now();
    let counts: Record<string, number> = {};
    while (Date.now() - edited < 2000) {
      counts = await callMany(client, 20);
      if (counts['v2'] === 20) break;
    }
    const followedWithinMs = Date.now() - edited;
    expect(counts).toEqual({ v2: 20 });
    expect(followedWithinMs).toBeLessThan(2000);
    expect(await callMany(client, 200)).toEqual({ v2: 200 });
  });

  it('reports sync state, registry and config on the debug endpoints, and skips invalid config without disruption', async () => {
    const monitoring = `http://127.0.0.1:${istiod.ports.monitoringPort}`;
    const get = async (path: string) => (await fetch(`${monitoring}${path}`)).json() as Promise<unknown>;
    const syncz = (await get('/debug/syncz')) as {
      proxy: string;
      types: Record<string, { status: string }>;
    }[];
    const client = syncz.find((s) => s.proxy.startsWith('sidecar~127.0.0.1~client'));
    expect(Object.fromEntries(Object.entries(client!.types).map(([type, t]) => [type, t.status]))).toEqual({
      LDS: 'SYNCED',
      RDS: 'SYNCED',
      CDS: 'SYNCED',
      EDS: 'SYNCED',
    });
    const registry = (await get('/debug/registryz')) as {
      hostname: string;
      endpoints: Record<string, { workload: string }[]>;
    }[];
    expect(registry.map((s) => [s.hostname, s.endpoints['50051']!.map((e) => e.workload).sort()])).toEqual([
      ['echo.default.svc.cluster.local', ['default/echo-v1', 'default/echo-v2']],
    ]);

    writeFileSync(
      join(configDir, 'broken.yaml'),
      virtualService(0, 0).replace('name: echo\n  namespace', 'name: broken\n  namespace'),
    );
    let configz: { invalid: { code: string; name: string; source: { file: string; line: number } }[] } = {
      invalid: [],
    };
    const deadline = Date.now() + 5000;
    while (configz.invalid.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      configz = (await get('/debug/configz')) as typeof configz;
    }
    expect(configz.invalid.map((f) => `${f.code} ${f.name} ${f.source.file}:${f.source.line}`)).toEqual([
      'WEIGHT_INVALID broken broken.yaml:14',
    ]);
    const metrics = await (await fetch(`${monitoring}/metrics`)).text();
    expect(metrics).toMatch(/^pilot_config_invalid_resources 1$/m);
    expect(metrics).toMatch(/^pilot_xds_pushes\{type="rds"\} \d+$/m);
    expect(metrics).toMatch(/^pilot_xds\{version="mesh"\} 1$/m);
    expect(await callMany(client_(), 50)).toEqual({ v2: 50 }); // the last good routing still applies
  });
});
