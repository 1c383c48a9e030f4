import { describe, expect, it } from 'vitest';

import { IstioMetrics, unknownPeer } from '../../src/telemetry/index.js';
import { promtoolCheckMetrics } from './promtool.js';
import { inboundConnection, inboundRequest } from './telemetry-fixtures.js';

/**
 * promtool's linter wants base units in metric names, and Istio's standard duration metric is in
 * milliseconds. The name is Istio's and dashboards depend on it, so this one finding is expected:
 * a real Envoy's /stats/prometheus gets the same from promtool.
 */
const ISTIO_DURATION_UNIT_LINT =
  'istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"';

/** Drops one metric family (its HELP, TYPE and samples) from an exposition. */
function withoutFamily(text: string, family: string): string {
  return text
    .split('\n')
    .filter((line) => !line.match(new RegExp(`^(# (HELP|TYPE) )?${family}(_bucket|_sum|_count)?[ {]`)))
    .join('\n');
}

async function recordedMetricsText(): Promise<string> {
  const metrics = new IstioMetrics();
  metrics.recordRequest(inboundRequest());
  metrics.recordRequest(inboundRequest({ responseCode: 503, responseFlags: 'UF,URX', durationMs: 1500 }));
  metrics.recordRequest(inboundRequest({ requestProtocol: 'grpc', grpcStatus: 0, source: unknownPeer() }));
  metrics.recordRequest(inboundRequest({ reporter: 'source', connectionSecurityPolicy: 'unknown' }));
  const connection = inboundConnection();
  metrics.tcpOpened(connection);
  metrics.tcpBytes(connection, 1024, 512);
  metrics.tcpClosed(connection);
  metrics.rbacDenied({ policy: 'ns[default]-policy[deny-all]-rule[0]', filter: 'http', shadow: false });
  return metrics.metricsText();
}

describe('promtool check metrics', () => {
  it('finds nothing wrong except the unit of Istio’s own duration metric name', async () => {
    const result = await promtoolCheckMetrics(await recordedMetricsText());
    // Exit 3 is promtool's "lint problems found"; a parse error would be exit 1.
    expect(result).toEqual({ code: 3, output: [ISTIO_DURATION_UNIT_LINT] });
  });

  it('passes cleanly (exit 0, no output) for every other family', async () => {
    const text = withoutFamily(await recordedMetricsText(), 'istio_request_duration_milliseconds');
    expect(text).toContain('istio_requests_total{');
    expect(text).not.toContain('istio_request_duration_milliseconds');
    expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: [] });
  });

  it('is a real check: it rejects a malformed exposition', async () => {
    const result = await promtoolCheckMetrics('istio_requests_total{reporter="destination" 1\n');
    expect(result.code).not.toBe(0);
    expect(result.output.join('\n')).toMatch(/error/i);
  });
});
