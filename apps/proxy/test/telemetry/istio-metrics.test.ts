import { describe, expect, it } from 'vitest';

import { ENVOY_DEFAULT_BUCKETS, IstioMetrics, unknownPeer } from '../../src/telemetry/index.js';
import { inboundConnection, inboundRequest, labelsOf, samples, valueOf } from './telemetry-fixtures.js';

/** The complete label set Istio puts on istio_requests_total for the fixture call. */
const EXPECTED_REQUEST_LABELS = {
  reporter: 'destination',
  source_workload: 'productpage-v1',
  source_workload_namespace: 'default',
  source_principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
  source_app: 'productpage',
  source_version: 'v1',
  source_cluster: 'Kubernetes',
  source_canonical_service: 'productpage',
  source_canonical_revision: 'v1',
  destination_workload: 'reviews-v2',
  destination_workload_namespace: 'default',
  destination_principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
  destination_app: 'reviews',
  destination_version: 'v2',
  destination_service: 'reviews.default.svc.cluster.local',
  destination_service_name: 'reviews',
  destination_service_namespace: 'default',
  destination_canonical_service: 'reviews',
  destination_canonical_revision: 'v2',
  destination_cluster: 'Kubernetes',
  request_protocol: 'http',
  response_code: '200',
  grpc_response_status: '',
  response_flags: '-',
  connection_security_policy: 'mutual_tls',
};

describe('IstioMetrics', () => {
  it('counts requests with exactly Istio’s label set', async () => {
    const metrics = new IstioMetrics();
    metrics.recordRequest(inboundRequest());
    metrics.recordRequest(inboundRequest());
    const text = await metrics.metricsText();

    expect(text).toContain('# TYPE istio_requests_total counter');
    const [line, ...others] = samples(text, 'istio_requests_total');
    expect(others).toEqual([]);
    expect(labelsOf(line!)).toEqual(EXPECTED_REQUEST_LABELS);
    expect(valueOf(line!)).toBe(2);
  });

  it('keeps responses with different codes, flags and gRPC status apart', async () => {
    const metrics = new IstioMetrics();
    metrics.recordRequest(inboundRequest());
    metrics.recordRequest(inboundRequest({ responseCode: 503, responseFlags: 'UF,URX' }));
    metrics.recordRequest(inboundRequest({ requestProtocol: 'grpc', responseCode: 200, grpcStatus: 14 }));
    const lines = samples(await metrics.metricsText(), 'istio_requests_total').map(labelsOf);
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(expect.objectContaining({ response_code: '503', response_flags: 'UF,URX' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ request_protocol: 'grpc', grpc_response_status: '14' }),
    );
  });

  it('reports unknown peers as Istio does: unknown, and latest for the revision', async () => {
    const metrics = new IstioMetrics();
    metrics.recordRequest(
      inboundRequest({ source: unknownPeer(), connectionSecurityPolicy: 'none', responseFlags: '' }),
    );
    const [line] = samples(await metrics.metricsText(), 'istio_requests_total');
    expect(labelsOf(line!)).toMatchObject({
      source_workload: 'unknown',
      source_workload_namespace: 'unknown',
      source_principal: 'unknown',
      source_app: 'unknown',
      source_version: 'unknown',
      source_cluster: 'unknown',
      source_canonical_service: 'unknown',
      source_canonical_revision: 'latest',
      connection_security_policy: 'none',
      response_flags: '-',
    });
  });

  it('records durations in whole milliseconds and sizes in Envoy’s default buckets', async () => {
    const metrics = new IstioMetrics();
    metrics.recordRequest(inboundRequest({ durationMs: 7.8, requestBytes: 350, responseBytes: 1200 }));
    const text = await metrics.metricsText();

    const bucketBounds = samples(text, 'istio_request_duration_milliseconds_bucket').map(
      (line) => labelsOf(line)['le'],
    );
    expect(bucketBounds).toEqual([...ENVOY_DEFAULT_BUCKETS.map(String), '+Inf']);
    const bucket = (name: string, le: string) =>
      valueOf(samples(text, `${name}_bucket`).find((line) => labelsOf(line)['le'] === le)!);

    expect(bucket('istio_request_duration_milliseconds', '5')).toBe(0);
    expect(bucket('istio_request_duration_milliseconds', '10')).toBe(1);
    expect(valueOf(samples(text, 'istio_request_duration_milliseconds_sum')[0]!)).toBe(7);
    expect(bucket('istio_request_bytes', '250')).toBe(0);
    expect(bucket('istio_request_bytes', '500')).toBe(1);
    expect(bucket('istio_response_bytes', '1000')).toBe(0);
    expect(bucket('istio_response_bytes', '2500')).toBe(1);
    expect(valueOf(samples(text, 'istio_response_bytes_count')[0]!)).toBe(1);
    expect(text).toContain('# TYPE istio_request_bytes histogram');
  });

  it('counts TCP connections and bytes without request-only labels', async () => {
    const metrics = new IstioMetrics();
    const connection = inboundConnection();
    metrics.tcpOpened(connection);
    metrics.tcpBytes(connection, 100, 40);
    metrics.tcpBytes(connection, 5, 2);
    metrics.tcpClosed(connection);
    const text = await metrics.metricsText();

    const { response_code: _code, grpc_response_status: _grpc, ...tcpLabels } = EXPECTED_REQUEST_LABELS;
    for (const [name, value] of [
      ['istio_tcp_connections_opened_total', 1],
      ['istio_tcp_connections_closed_total', 1],
      ['istio_tcp_sent_bytes_total', 105],
      ['istio_tcp_received_bytes_total', 42],
    ] as const) {
      const [line, ...others] = samples(text, name);
      expect(others, name).toEqual([]);
      expect(labelsOf(line!), name).toEqual({ ...tcpLabels, request_protocol: 'tcp' });
      expect(valueOf(line!), name).toBe(value);
    }
    expect(samples(text, 'istio_requests_total')).toEqual([]);
  });

  it('counts RBAC denials by deciding policy, filter and shadow mode', async () => {
    const metrics = new IstioMetrics();
    const policy = 'ns[default]-policy[deny-delete]-rule[0]';
    metrics.rbacDenied({ policy, filter: 'http', shadow: false });
    metrics.rbacDenied({ policy, filter: 'http', shadow: false });
    metrics.rbacDenied({ policy: 'ns[default]-policy[audit]-rule[0]', filter: 'network', shadow: true });
    const lines = samples(await metrics.metricsText(), 'mesh_proxy_rbac_denied_total');
    expect(lines.map((line) => [labelsOf(line), valueOf(line)])).toEqual(
      expect.arrayContaining([
        [{ policy, filter: 'http', shadow: 'false' }, 2],
        [{ policy: 'ns[default]-policy[audit]-rule[0]', filter: 'network', shadow: 'true' }, 1],
      ]),
    );
    expect(lines).toHaveLength(2);
  });

  it('serves the Prometheus text content type', () => {
    expect(new IstioMetrics().contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
