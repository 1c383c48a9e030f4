import { execFile } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { startPrometheus } from './prometheus-server.js';

/**
 * Sidecars as users run them, against real istiod: an app calls `backend` by name through its
 * sidecar's forward proxy (curl with `http_proxy`), the two sidecars speak Istio mTLS, the backend's
 * sidecar enforces PeerAuthentication and AuthorizationPolicy, and both report Istio metrics.
 */

const SERVICES = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports:
    - { name: http, port: 8080, targetPort: 8080 }
    - { name: tcp-echo, port: 9000, targetPort: 9000 }
`;

const mesh = new LoopbackMesh();
let frontend: SidecarProcess;
let other: SidecarProcess;
let backend: SidecarProcess;
let tcpEcho: Server;

/** curl as an application would run it: `http_proxy` points at its sidecar (async: the apps live in this process). */
async function curl(
  proxy: string,
  url: string,
  extra: string[] = [],
): Promise<{ status: number; body: string }> {
  const stdout = await new Promise<string>((resolve) => {
    execFile(
      'curl',
      ['-s', '-m', '5', '-o', '-', '-w', '\n%{http_code}', ...extra, url],
      { encoding: 'utf8', env: { ...process.env, http_proxy: proxy, HTTP_PROXY: proxy, no_proxy: '' } },
      (_err, out) => resolve(out),
    );
  });
  const lines = stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

function run(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: 10_000 }, (_err, out) => resolve(out));
    child.stdin?.end(input);
  });
}

beforeAll(async () => {
  mesh.writeConfig('services.yaml', SERVICES);
  await mesh.startIstiod();
  const app = await mesh.startApp('backend', '127.0.20.2');
  tcpEcho = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => tcpEcho.listen(0, '127.0.20.2', r));
  const echoPort = (tcpEcho.address() as { port: number }).port;
  backend = await mesh.startSidecar({
    name: 'backend-1',
    labels: { app: 'backend', version: 'v1' },
    address: '127.0.20.2',
    inbound: { 8080: app, 9000: { host: '127.0.20.2', port: echoPort } },
  });
  frontend = await mesh.startSidecar({
    name: 'frontend-1',
    labels: { app: 'frontend' },
    address: '127.0.20.1',
  });
  other = await mesh.startSidecar({
    name: 'other-1',
    serviceAccount: 'other',
    labels: { app: 'other' },
    address: '127.0.20.3',
  });
  // The backend registers itself when its sidecar connects; wait until the frontend's sidecar knows it.
  await waitFor(
    async () => (await curl(frontend.proxyUrl, 'http://backend:8080/ready')).status === 200,
    15_000,
    () => frontend.logs.join('\n') + backend.logs.join('\n'),
  );
}, 90_000);

afterAll(async () => {
  await mesh.stop();
  tcpEcho?.close();
});

describe('HTTP through two sidecars', () => {
  it('reaches the backend by its short and namespaced names, over mTLS with both identities', async () => {
    for (const url of [
      'http://backend:8080/hello?x=1',
      'http://backend.default:8080/hello?x=1',
      'http://backend.default.svc.cluster.local:8080/hello?x=1',
    ]) {
      const { status, body } = await curl(frontend.proxyUrl, url);
      expect(status).toBe(200);
      const seen = JSON.parse(body) as { app: string; path: string; headers: Record<string, string> };
      expect(seen.app).toBe('backend');
      expect(seen.path).toBe('/hello?x=1');
      // The server sidecar terminated mTLS and saw the client's SPIFFE identity.
      expect(seen.headers['x-forwarded-client-cert']).toContain(
        'URI=spiffe://cluster.local/ns/default/sa/frontend-1',
      );
      expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(seen.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(seen.headers['x-envoy-peer-metadata']).toBeUndefined();
    }
  });

  it('passes request bodies and keeps a W3C trace going', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { status, body } = await curl(frontend.proxyUrl, 'http://backend:8080/echo', [
      '-X',
      'POST',
      '-d',
      'x'.repeat(1024),
      '-H',
      `traceparent: 00-${traceId}-00f067aa0ba902b7-01`,
    ]);
    expect(status).toBe(200);
    const seen = JSON.parse(body) as { body: string; method: string; headers: Record<string, string> };
    expect(seen.method).toBe('POST');
    expect(seen.body).toHaveLength(1024);
    expect(seen.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(seen.headers['x-b3-traceid']).toBe(traceId);
  });

  it('passes an unknown host through (ALLOW_ANY) and answers 503 from the sidecar when it cannot connect', async () => {
    const reply = await curl(frontend.proxyUrl, 'http://nothing-here.invalid:8080/');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('upstream connect error');
  });
});

describe('WebSocket through two sidecars', () => {
  it('upgrades and carries bytes both ways', async () => {
    const socket = connect(15001, '127.0.20.1');
    socket.write(
      'GET http://backend:8080/ws HTTP/1.1\r\nHost: backend:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    let received = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no upgrade: ${received}`)), 5_000);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('\r\n\r\n') && !received.includes('frame-1')) socket.write('frame-1');
        if (received.endsWith('frame-1')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    expect(received.toLowerCase()).toContain('upgrade: websocket');
  });
});

describe('TCP through two sidecars', () => {
  it('echoes bytes through a CONNECT tunnel to a TCP port', async () => {
    const out = await run(
      'curl',
      ['-s', '-m', '3', '-p', '-x', frontend.proxyUrl, 'telnet://backend:9000'],
      'ping over tcp\n',
    );
    expect(out).toBe('ping over tcp\n');
  });
});

describe('PeerAuthentication and AuthorizationPolicy at the backend', () => {
  it('STRICT refuses a plaintext client and a TLS client without a certificate; PERMISSIVE accepts plaintext', async () => {
    // Default (no policy) is PERMISSIVE: a client without a sidecar reaches the app in plaintext.
    expect((await curl('', 'http://127.0.20.2:8080/plain')).status).toBe(200);
    mesh.writeConfig(
      'strict.yaml',
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: default }
spec:
  mtls: { mode: STRICT }
`,
    );
    await waitFor(
      async () => (await curl('', 'http://127.0.20.2:8080/plain')).status === 0,
      10_000,
      () => backend.logs.join('\n'),
    );
    // openssl s_client without a client certificate: the handshake is refused.
    const sClient = await run(
      'openssl',
      ['s_client', '-connect', '127.0.20.2:8080', '-alpn', 'istio-http/1.1', '-servername', 'backend'],
      'GET / HTTP/1.1\r\nHost: backend\r\n\r\n',
    );
    expect(sClient).not.toContain('"app":"backend"');
    // Meshed clients still get through.
    expect((await curl(frontend.proxyUrl, 'http://backend:8080/strict')).status).toBe(200);
    mesh.writeConfig(
      'strict.yaml',
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: default }
spec:
  mtls: { mode: PERMISSIVE }
`,
    );
    await waitFor(
      async () => (await curl('', 'http://127.0.20.2:8080/plain')).status === 200,
      10_000,
      () => backend.logs.join('\n'),
    );
  });

  it('ALLOW for one service account gives 200 to it and 403 to another; DENY on a path wins', async () => {
    mesh.writeConfig(
      'authz.yaml',
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: frontend-only, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/default/sa/frontend-1"] } }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-admin, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: DENY
  rules:
    - to: [{ operation: { paths: ["/admin*"] } }]
`,
    );
    await waitFor(
      async () => (await curl(other.proxyUrl, 'http://backend:8080/api')).status === 403,
      10_000,
      async () =>
        JSON.stringify(await curl(other.proxyUrl, 'http://backend:8080/api')) +
        backend.logs.slice(-3).join('\n'),
    );
    const denied = await curl(other.proxyUrl, 'http://backend:8080/api');
    expect(denied).toEqual({ status: 403, body: 'RBAC: access denied' });
    expect((await curl(frontend.proxyUrl, 'http://backend:8080/api')).status).toBe(200);
    expect((await curl(frontend.proxyUrl, 'http://backend:8080/admin/users')).status).toBe(403);
    const metrics = await (await fetch('http://127.0.20.2:15090/stats/prometheus')).text();
    expect(metrics).toMatch(
      /mesh_proxy_rbac_denied_total\{[^}]*policy="ns\[default\]-policy\[no-admin\]-rule\[0\]"/,
    );
    mesh.writeConfig('authz.yaml', '');
    await waitFor(
      async () => (await curl(other.proxyUrl, 'http://backend:8080/api')).status === 200,
      10_000,
      () => backend.logs.join('\n'),
    );
  });
});

describe('telemetry and admin', () => {
  it('reports istio_requests_total from both sides with Istio labels', async () => {
    await curl(frontend.proxyUrl, 'http://backend:8080/metrics-check');
    const source = await (await fetch('http://127.0.20.1:15090/stats/prometheus')).text();
    const destination = await (await fetch('http://127.0.20.2:15090/stats/prometheus')).text();
    const line = (text: string, reporter: string) =>
      text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('istio_requests_total{') &&
            l.includes(`reporter="${reporter}"`) &&
            l.includes('response_code="200"'),
        ) ?? '';
    const src = line(source, 'source');
    expect(src).toContain('source_workload="frontend"');
    expect(src).toContain('destination_workload="backend"');
    expect(src).toContain('destination_service="backend.default.svc.cluster.local"');
    expect(src).toContain('destination_principal="spiffe://cluster.local/ns/default/sa/backend-1"');
    const dst = line(destination, 'destination');
    expect(dst).toContain('source_workload="frontend"');
    expect(dst).toContain('source_principal="spiffe://cluster.local/ns/default/sa/frontend-1"');
    expect(dst).toContain('connection_security_policy="mutual_tls"');
  });

  it("serves /stats/prometheus that promtool accepts (but for the unit lints on Istio's and Envoy's own names)", async () => {
    const text = await (await fetch('http://127.0.20.2:15090/stats/prometheus')).text();
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
      child.stdin?.end(text);
    });
    // promtool's naming lint wants seconds; dashboards need the metrics as Istio and Envoy name them.
    const problems = result.output.split('\n').filter((l) => l.trim() !== '');
    expect(problems.sort()).toEqual([
      'envoy_server_days_until_first_cert_expiring use base unit "seconds" instead of "days"',
      'istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"',
    ]);
  });

  it('is scraped by a real Prometheus, which returns istio_requests_total with Istio labels', async () => {
    const prometheus = await startPrometheus({ targets: ['127.0.20.2:15090'], scrapeIntervalMs: 1_000 });
    try {
      const samples = await prometheus.queryUntilPresent(
        'istio_requests_total{reporter="destination",destination_service="backend.default.svc.cluster.local",response_code="200"}',
      );
      const series = samples.find((s) => s.metric['source_workload'] === 'frontend');
      expect(series?.value).toBeGreaterThan(0);
      expect(series?.metric).toMatchObject({
        source_principal: 'spiffe://cluster.local/ns/default/sa/frontend-1',
        destination_workload: 'backend',
        destination_app: 'backend',
        destination_version: 'v1',
        request_protocol: 'http',
        connection_security_policy: 'mutual_tls',
        response_flags: '-',
      });
    } finally {
      await prometheus.stop();
    }
  });

  it('dumps its dynamic config and endpoints like Envoy', async () => {
    const dump = (await (await fetch(`${frontend.adminUrl}/config_dump?include_eds`)).json()) as {
      configs: { '@type': string }[];
    };
    const types = dump.configs.map((c) => c['@type'].split('.').pop());
    expect(types).toEqual(
      expect.arrayContaining([
        'ListenersConfigDump',
        'ClustersConfigDump',
        'RoutesConfigDump',
        'SecretsConfigDump',
        'EndpointsConfigDump',
      ]),
    );
    expect(JSON.stringify(dump)).toContain('outbound|8080||backend.default.svc.cluster.local');
    expect(JSON.stringify(dump)).not.toContain('PRIVATE KEY');
    const clusters = await (await fetch(`${frontend.adminUrl}/clusters`)).text();
    expect(clusters).toContain(
      'outbound|8080||backend.default.svc.cluster.local::127.0.20.2:8080::health_flags::healthy',
    );
  });
});
