import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';

import { Server as GrpcServer, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  isLoopbackAddress,
  parsePrometheusAnnotations,
  startAgentStatusServer,
} from '../../src/kube-agent/agent-status-server.js';
import { parseAppProbers } from '../../src/kube-agent/app-probers.js';

/**
 * pilot-agent's status port 15020 as mesh-proxy serves it: the rewritten app probes run against a real
 * app (HTTP, a TCP port, a gRPC health service), readiness, and the merged Prometheus text.
 */

const listening = (server: Server): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

/** grpc.health.v1.Health/Check with the messages as raw protobuf bytes. */
const HEALTH_SERVICE = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} as unknown as ServiceDefinition;

describe('the agent status server (15020)', () => {
  let appHealthy = true;
  let grpcStatus = 1;
  let seenHeaders: Record<string, unknown> = {};
  const app = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.end('app_requests_total 7\n');
      return;
    }
    seenHeaders = req.headers;
    res.writeHead(req.url === '/healthz' && appHealthy ? 200 : 503).end();
  });
  const grpc = new GrpcServer();
  let appPort = 0;
  let grpcPort = 0;
  let status: Server;
  let ready: string | undefined = 'no config from istiod yet';
  let drains = 0;
  const get = (path: string, init?: RequestInit) =>
    fetch(`http://127.0.0.1:${(status.address() as AddressInfo).port}${path}`, init);

  beforeAll(async () => {
    appPort = await listening(app);
    // The response's status field (1 SERVING, 2 NOT_SERVING) as the test sets it.
    grpc.addService(HEALTH_SERVICE, {
      Check: (_call: unknown, done: (err: null, out: Buffer) => void) =>
        done(null, Buffer.from([0x08, grpcStatus])),
    });
    grpcPort = await new Promise((resolve, reject) =>
      grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    const probers = parseAppProbers(
      JSON.stringify({
        '/app-health/web/readyz': {
          httpGet: {
            path: 'healthz',
            port: appPort,
            scheme: 'HTTP',
            httpHeaders: [{ name: 'X-Probe', value: 'yes' }],
          },
          timeoutSeconds: 2,
        },
        '/app-health/web/livez': { tcpSocket: { port: appPort } },
        '/app-health/web/startupz': { grpc: { port: grpcPort } },
        '/app-health/closed/livez': { tcpSocket: { port: 1 } },
      }),
    );
    status = await startAgentStatusServer(
      {
        host: '127.0.0.1',
        port: 0,
        probers,
        appHost: '127.0.0.1',
        appScrape: parsePrometheusAnnotations(
          JSON.stringify({ scrape: 'true', port: String(appPort), path: '/metrics' }),
          15020,
        )!,
      },
      {
        notReadyReason: () => ready,
        metricsText: async () => 'istio_build{component="proxy"} 1\n',
        drain: () => void drains++,
      },
      pino({ level: 'silent' }),
    );
  });

  afterAll(() => {
    status?.close();
    app.close();
    grpc.forceShutdown();
  });

  it('runs the httpGet probe with its path and headers, passing the app status code through', async () => {
    const ok = await get('/app-health/web/readyz', { headers: { 'user-agent': 'kube-probe/1.31' } });
    expect(ok.status).toBe(200);
    expect(seenHeaders).toMatchObject({ 'x-probe': 'yes', 'user-agent': 'kube-probe/1.31' });
    appHealthy = false;
    expect((await get('/app-health/web/readyz')).status).toBe(503);
    appHealthy = true;
  });

  it('runs tcpSocket and grpc probes: 200 when the app answers, 500 when it does not', async () => {
    expect((await get('/app-health/web/livez')).status).toBe(200);
    expect((await get('/app-health/closed/livez')).status).toBe(500);
    expect((await get('/app-health/web/startupz')).status).toBe(200);
    grpcStatus = 2;
    expect((await get('/app-health/web/startupz')).status).toBe(500);
    grpcStatus = 1;
  });

  it('answers 404 for a probe path it was not given, and only GET', async () => {
    const missing = await get('/app-health/other/readyz');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('app prober config does not exist for /app-health/other/readyz');
    expect((await get('/healthz/ready', { method: 'POST' })).status).toBe(405);
  });

  it("serves the proxy's readiness and its metrics merged with the app's", async () => {
    expect((await get('/healthz/ready')).status).toBe(503);
    ready = undefined;
    expect((await get('/healthz/ready')).status).toBe(200);
    const text = await (await get('/stats/prometheus')).text();
    expect(text).toBe('istio_build{component="proxy"} 1\napp_requests_total 7\n');
  });

  it("starts the proxy's drain on POST /drain from loopback, as the native sidecar's preStop asks", async () => {
    expect((await get('/drain', { method: 'GET' })).status).toBe(405);
    expect(drains).toBe(0);
    const drained = await get('/drain', { method: 'POST' });
    expect([drained.status, await drained.text()]).toEqual([200, 'OK\n']);
    expect(drains).toBe(1);
  });

  it('refuses /drain from a caller that is not on loopback', async () => {
    expect(['127.0.0.1', '127.9.0.3', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual(
      Array(4).fill(true),
    );
    expect(['10.0.0.1', '::ffff:10.0.0.1', 'fd00::1', '128.0.0.1', undefined].map(isLoopbackAddress)).toEqual(
      Array(5).fill(false),
    );
    // A real caller from the machine's own non-loopback address, when it has one.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    if (external === undefined) return;
    const open = await startAgentStatusServer(
      { host: '0.0.0.0', port: 0, probers: new Map(), appHost: '127.0.0.1' },
      { notReadyReason: () => undefined, metricsText: async () => '', drain: () => void drains++ },
      pino({ level: 'silent' }),
    );
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request(
        {
          host: external,
          localAddress: external,
          port: (open.address() as AddressInfo).port,
          method: 'POST',
          path: '/drain',
        },
        (res) => resolve(res.resume().statusCode),
      )
        .on('error', reject)
        .end(),
    );
    open.close();
    expect(status).toBe(403);
    expect(drains).toBe(1);
  });

  it('refuses a bad ISTIO_KUBE_APP_PROBERS entry by its field path', () => {
    expect(() => parseAppProbers('{"/app-health/a/readyz":{"httpGet":{"port":"http"}}}')).toThrow(
      'ISTIO_KUBE_APP_PROBERS: /app-health/a/readyz.httpGet.port: "http" is not a port number',
    );
    expect(() => parseAppProbers('{"/healthz":{"tcpSocket":{"port":80}}}')).toThrow(
      '/healthz: is not /app-health/<container>/livez|readyz|startupz',
    );
    expect(() =>
      parseAppProbers('{"/app-health/a/livez":{"tcpSocket":{"port":80},"grpc":{"port":81}}}'),
    ).toThrow('needs exactly one of httpGet, tcpSocket, grpc');
  });

  it.each([
    ["the injector's full copy", { scrape: 'true', path: '/m', port: '9090' }, { port: 9090, path: '/m' }],
    // The injector writes every field, empty when the pod had no such annotation.
    [
      'a port alone: scraped, at /metrics',
      { scrape: '', path: '', port: '8080' },
      { port: 8080, path: '/metrics' },
    ],
    ['no port: port 80', { scrape: 'True', path: 'stats', port: '' }, { port: 80, path: '/stats' }],
    ['scrape "false": not scraped', { scrape: 'false', path: '', port: '9090' }, undefined],
  ])('reads ISTIO_PROMETHEUS_ANNOTATIONS as pilot-agent: %s', (_name, annotations, expected) => {
    expect(parsePrometheusAnnotations(JSON.stringify(annotations), 15020)).toEqual(expected);
  });

  it("refuses ISTIO_PROMETHEUS_ANNOTATIONS naming the agent's own status port", () => {
    expect(() =>
      parsePrometheusAnnotations(JSON.stringify({ scrape: 'true', path: '', port: '15020' }), 15020),
    ).toThrow("port: 15020 is the agent's own status port");
  });
});
