import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { IstioMetrics } from '../../src/telemetry/index.js';
import { startPrometheus, type PrometheusServer } from './prometheus-server.js';
import { inboundConnection, inboundRequest } from './telemetry-fixtures.js';

/**
 * A real Prometheus scrapes IstioMetrics from /stats/prometheus, as it scrapes Istio sidecars, and
 * answers the PromQL queries Istio's dashboards are built from.
 */
describe('Prometheus scraping /stats/prometheus', () => {
  const metrics = new IstioMetrics();
  let server: Server;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) metrics.recordRequest(inboundRequest());
    metrics.recordRequest(inboundRequest({ responseCode: 503, responseFlags: 'UH', durationMs: 30 }));
    const connection = inboundConnection();
    metrics.tcpOpened(connection);
    metrics.tcpBytes(connection, 2048, 64);

    server = createServer((request, response) => {
      if (request.url !== '/stats/prometheus') {
        response.writeHead(404).end();
        return;
      }
      metrics.metricsText().then(
        (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeIntervalMs: 1_000 });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('ingests istio_requests_total with Istio’s labels', async () => {
    const series = await prometheus!.queryUntilPresent(
      'istio_requests_total{reporter="destination",destination_service="reviews.default.svc.cluster.local",response_code="200"}',
    );
    expect(series).toHaveLength(1);
    expect(series[0]!.value).toBe(3);
    expect(series[0]!.metric).toMatchObject({
      __name__: 'istio_requests_total',
      job: 'mesh-proxy',
      source_workload: 'productpage-v1',
      source_canonical_service: 'productpage',
      destination_workload: 'reviews-v2',
      destination_canonical_revision: 'v2',
      connection_security_policy: 'mutual_tls',
      request_protocol: 'http',
      response_flags: '-',
    });
    // An empty label value is no label at all to Prometheus, as with Envoy's output.
    expect(series[0]!.metric).not.toHaveProperty('grpc_response_status');
  });

  it('answers the dashboards’ success-rate and latency queries', async () => {
    const [errors] = await prometheus!.queryUntilPresent(
      'sum(istio_requests_total{reporter="destination",response_code=~"5.."}) by (destination_workload, response_flags)',
    );
    expect(errors).toEqual({
      metric: { destination_workload: 'reviews-v2', response_flags: 'UH' },
      value: 1,
    });

    const [p50] = await prometheus!.queryUntilPresent(
      'histogram_quantile(0.5, sum(istio_request_duration_milliseconds_bucket{reporter="destination"}) by (le))',
    );
    // Three 7 ms requests and one of 30 ms: the median lies in the (5, 10] bucket.
    expect(p50!.value).toBeGreaterThan(5);
    expect(p50!.value).toBeLessThanOrEqual(10);
  });

  it('ingests the TCP metrics', async () => {
    const [sent] = await prometheus!.queryUntilPresent(
      'istio_tcp_sent_bytes_total{request_protocol="tcp",destination_service_name="reviews"}',
    );
    expect(sent!.value).toBe(2048);
  });
});
