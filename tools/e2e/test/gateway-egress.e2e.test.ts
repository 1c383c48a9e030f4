import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { startIstiodProcess } from './processes.js';

/**
 * Istio's egress gateway pattern on a local mesh (issue 18 item 1, Istio's "Egress Gateways" task with
 * mTLS between sidecar and gateway): a ServiceEntry for an "external" host (a local HTTP server outside
 * the mesh), a Gateway on the egress gateway (`mesh-proxy --capture router`) terminating ISTIO_MUTUAL, a
 * DestinationRule originating ISTIO_MUTUAL to it, and a two-hop VirtualService (mesh → egress gateway,
 * egress gateway → external host); the gateway's Service maps 443 to 8443, where it listens (Istio's
 * port translation, so it needs no privileged port). MeshConfig `outboundTrafficPolicy: REGISTRY_ONLY`: a host the
 * registry does not know gets 502 from the client's own sidecar (Istio's `block_all`).
 */

const CLIENT = '127.0.58.1';
const EGRESS = '127.0.58.2';
const EXTERNAL = '127.0.58.3';
/** The Gateway's port is its Service's port (Istio's 443), which the gateway listens on as 8443. */
const GATEWAY_PORT = 443;
const GATEWAY_TARGET_PORT = 8443;
const EXTERNAL_HOST = 'external.test';

function config(externalPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: istio-egressgateway, namespace: istio-system }
spec:
  selector: { istio: egressgateway }
  ports: [{ name: https, port: ${GATEWAY_PORT}, targetPort: ${GATEWAY_TARGET_PORT} }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: external, namespace: default }
spec:
  hosts: [${EXTERNAL_HOST}]
  ports: [{ number: ${externalPort}, name: http-port, protocol: HTTP }]
  resolution: STATIC
  endpoints: [{ address: ${EXTERNAL} }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: istio-egressgateway, namespace: default }
spec:
  selector: { istio: egressgateway }
  servers:
    - port: { number: ${GATEWAY_PORT}, name: https, protocol: HTTPS }
      hosts: [${EXTERNAL_HOST}]
      tls: { mode: ISTIO_MUTUAL }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: egressgateway-for-external, namespace: default }
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
    - name: external
      trafficPolicy:
        portLevelSettings:
          - port: { number: ${GATEWAY_PORT} }
            tls: { mode: ISTIO_MUTUAL, sni: ${EXTERNAL_HOST} }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: direct-external-through-egress-gateway, namespace: default }
spec:
  hosts: [${EXTERNAL_HOST}]
  gateways: [istio-egressgateway, mesh]
  http:
    - match: [{ gateways: [mesh], port: ${externalPort} }]
      route:
        - destination:
            host: istio-egressgateway.istio-system.svc.cluster.local
            subset: external
            port: { number: ${GATEWAY_PORT} }
    - match: [{ gateways: [istio-egressgateway], port: ${GATEWAY_PORT} }]
      route: [{ destination: { host: ${EXTERNAL_HOST}, port: { number: ${externalPort} } } }]
`;
}

const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(https?|all|no|grpc)_proxy$/i.test(name)),
);

interface Answer {
  status: number;
  body: string;
}

/** curl through a sidecar's forward proxy; status 0 when nothing answered. */
function curl(proxyUrl: string, url: string): Promise<Answer> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', '-w', '\n%{http_code}', '-x', proxyUrl, url],
      { encoding: 'utf8', env: ENV },
      (_err, stdout) => {
        const newline = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(newline + 1)), body: stdout.slice(0, newline) });
      },
    ),
  );
}

/** The `istio_requests_total` series of a proxy whose labels name the external host. */
async function requestsToExternal(proxy: SidecarProcess): Promise<string[]> {
  const text = await (await fetch(`http://${proxy.address}:15090/stats/prometheus`)).text();
  return text
    .split('\n')
    .filter(
      (l) => l.startsWith('istio_requests_total{') && l.includes(`destination_service="${EXTERNAL_HOST}"`),
    );
}

describe("Istio's egress gateway pattern on a local mesh", () => {
  const mesh = new LoopbackMesh();
  let client: SidecarProcess;
  let gateway: SidecarProcess;
  let externalPort = 0;

  beforeAll(async () => {
    externalPort = (await mesh.startApp('external', EXTERNAL)).port;
    mesh.writeConfig('config.yaml', config(externalPort));
    const meshConfigFile = join(mesh.stateDir, 'mesh.yaml');
    writeFileSync(meshConfigFile, 'outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n');
    mesh.istiod = await startIstiodProcess({
      configDir: mesh.configDir,
      stateDir: mesh.stateDir,
      pushDebounceMs: 10,
      meshConfigFile,
    });
    gateway = await mesh.startSidecar({
      name: 'istio-egressgateway-0',
      namespace: 'istio-system',
      serviceAccount: 'istio-egressgateway-service-account',
      labels: { istio: 'egressgateway', app: 'istio-egressgateway' },
      address: EGRESS,
      extraArgs: ['--capture', 'router', '--bind-address', EGRESS],
    });
    client = await mesh.startSidecar({ name: 'sleep-0', labels: { app: 'sleep' }, address: CLIENT });
  }, 60_000);

  afterAll(() => mesh.stop());

  it('reaches the external host through the egress gateway, over mTLS to the gateway', async () => {
    const url = `http://${EXTERNAL_HOST}:${externalPort}/egress/page`;
    let answer: Answer = { status: 0, body: '' };
    await waitFor(
      async () => (answer = await curl(client.proxyUrl, url)).status === 200,
      20_000,
      () => `the client's sidecar answered ${answer.status}: ${answer.body}\n${gateway.logs.join('\n')}`,
    );
    const body = JSON.parse(answer.body) as { app: string; path: string; headers: Record<string, string> };
    expect(body.app).toBe('external');
    expect(body.path).toBe('/egress/page');
    // The gateway, not the client's sidecar, sent it out: it counted the request to the external host.
    await waitFor(
      async () => (await requestsToExternal(gateway)).some((l) => l.includes('response_code="200"')),
      10_000,
      async () => `the egress gateway's stats: ${(await requestsToExternal(gateway)).join('\n')}`,
    );
  });

  it('refuses a host the registry does not know with 502, as REGISTRY_ONLY does', async () => {
    const answer = await curl(client.proxyUrl, `http://unregistered.test:${externalPort}/`);
    expect(answer.status).toBe(502);
  });
});
