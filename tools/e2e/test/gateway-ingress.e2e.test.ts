import { execFile } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor } from './mesh-processes.js';

/**
 * An Istio ingress gateway on a local mesh (issue 18 item 1): `mesh-proxy --capture router` as the
 * workload a Gateway selects, istiod's gateway listener bound on the Gateway's port, a VirtualService
 * bound to the Gateway routing one host to a backend sidecar over mTLS, 404 for a host nothing binds,
 * the backend's AuthorizationPolicy deciding on the gateway's own identity, and `httpsRedirect` as a 301.
 */

const GATEWAY = '127.0.54.10';
const BACKEND = '127.0.54.11';
const PORT = 8080;
const REDIRECT_PORT = 8081;

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
    - port: { number: ${PORT}, name: http, protocol: HTTP }
      hosts: ['*.example.com']
    - port: { number: ${REDIRECT_PORT}, name: http-redirect, protocol: HTTP }
      hosts: [backend.example.com]
      tls: { httpsRedirect: true }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: backend-edge, namespace: default }
spec:
  hosts: [backend.example.com]
  gateways: [edge]
  http:
    - route: [{ destination: { host: backend, port: { number: 8080 } } }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: backend-from-gateway, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: [cluster.local/ns/default/sa/ingress-gateway] } }]
      to: [{ operation: { paths: ['/open*'] } }]
`;

const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(https?|all|no|grpc)_proxy$/i.test(name)),
);

interface Answer {
  status: number;
  body: string;
}

/** curl through the gateway with a Host header; status 0 when nothing answered. */
function curl(host: string, path: string, port = PORT, extra: string[] = []): Promise<Answer> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      [
        '-s',
        '-m',
        '5',
        '-w',
        '\n%{http_code}',
        ...extra,
        '-H',
        `Host: ${host}`,
        `http://${GATEWAY}:${port}${path}`,
      ],
      { encoding: 'utf8', env: ENV },
      (_err, stdout) => {
        const newline = stdout.lastIndexOf('\n');
        resolve({ status: Number(stdout.slice(newline + 1)), body: stdout.slice(0, newline) });
      },
    ),
  );
}

describe('an ingress gateway on a local mesh', () => {
  const mesh = new LoopbackMesh();

  beforeAll(async () => {
    mesh.writeConfig('config.yaml', CONFIG);
    await mesh.startIstiod();
    const app = await mesh.startApp('backend', BACKEND);
    await mesh.startSidecar({
      name: 'backend-0',
      labels: { app: 'backend' },
      address: BACKEND,
      inbound: { 8080: app },
    });
    await mesh.startSidecar({
      name: 'ingress-gateway-0',
      serviceAccount: 'ingress-gateway',
      labels: { istio: 'ingressgateway' },
      address: GATEWAY,
      extraArgs: ['--capture', 'router', '--bind-address', GATEWAY],
    });
  }, 60_000);

  afterAll(() => mesh.stop());

  it('routes a host bound by a VirtualService to the backend, over mTLS with its own identity', async () => {
    let answer: Answer = { status: 0, body: '' };
    await waitFor(
      async () => (answer = await curl('backend.example.com', '/open/page')).status === 200,
      20_000,
      () => `the gateway answered ${answer.status}: ${answer.body}`,
    );
    const body = JSON.parse(answer.body) as { app: string; path: string; headers: Record<string, string> };
    expect(body.app).toBe('backend');
    expect(body.path).toBe('/open/page');
    // The backend's sidecar saw the gateway's workload certificate (XFCC carries the peer's URI SAN).
    expect(body.headers['x-forwarded-client-cert']).toContain(
      'URI=spiffe://cluster.local/ns/default/sa/ingress-gateway',
    );
  });

  it('answers 404 for a host the Gateway exposes but no VirtualService binds', async () => {
    expect((await curl('other.example.com', '/open/page')).status).toBe(404);
  });

  it("applies the backend's AuthorizationPolicy to the gateway's identity", async () => {
    const denied = await curl('backend.example.com', '/secret');
    expect(denied.status).toBe(403);
    expect(denied.body).toBe('RBAC: access denied');
  });

  it('redirects plain HTTP to https on a server with httpsRedirect (301, same Host and path)', async () => {
    const answer = await curl('backend.example.com', '/open/page?x=1', REDIRECT_PORT, [
      '-D',
      '-',
      '-o',
      '/dev/null',
    ]);
    expect(answer.status).toBe(301);
    expect(answer.body).toMatch(/^location: https:\/\/backend\.example\.com\/open\/page\?x=1\r?$/im);
  });
});
