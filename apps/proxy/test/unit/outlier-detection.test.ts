import { proxyConfig } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { ClusterManager } from '../../src/clusters/cluster-manager.js';
import { OutlierDetector, outlierConfigOf } from '../../src/clusters/outlier-detector.js';

/** DestinationRule outlierDetection and connection-pool limits, as the proxy enforces them. */

const NAME = 'outbound|9080||reviews.default.svc.cluster.local';

function staticCluster(extra: Record<string, unknown>, hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
  return {
    name: NAME,
    type: 'STATIC',
    load_assignment: {
      cluster_name: NAME,
      endpoints: [
        {
          lb_endpoints: hosts.map((address) => ({
            endpoint: { address: { socket_address: { address, port_value: 9080 } } },
          })),
        },
      ],
    },
    ...extra,
  };
}

function manager(extra: Record<string, unknown>, hosts?: string[]): ClusterManager {
  const clusters = new ClusterManager();
  clusters.update(
    proxyConfig({ listeners: [], routes: [], clusters: [staticCluster(extra, hosts)], loadAssignments: [] }),
  );
  return clusters;
}

// What Istio generates for `outlierDetection: { consecutive5xxErrors: 2, baseEjectionTime: 30s, maxEjectionPercent: 100 }`.
const OUTLIER = {
  outlier_detection: {
    consecutive_5xx: { value: 2 },
    enforcing_consecutive_5xx: { value: 100 },
    consecutive_gateway_failure: { value: 0 },
    enforcing_consecutive_gateway_failure: { value: 0 },
    base_ejection_time: { seconds: '30' },
    max_ejection_percent: { value: 100 },
  },
};

describe('outlier detection', () => {
  it('reads Istio-generated config and applies Envoy defaults to what is absent', () => {
    expect(outlierConfigOf(OUTLIER)).toEqual({
      consecutive5xx: 2,
      baseEjectionMs: 30_000,
      maxEjectionPercent: 100,
    });
    expect(outlierConfigOf({ outlier_detection: {} })).toEqual({
      consecutive5xx: 5,
      baseEjectionMs: 30_000,
      maxEjectionPercent: 10,
    });
    expect(outlierConfigOf({})).toBeUndefined();
  });

  it('ejects after consecutive errors, for base time × ejections; a success resets the count', () => {
    let now = 0;
    const detector = new OutlierDetector(
      { consecutive5xx: 2, baseEjectionMs: 1000, maxEjectionPercent: 100 },
      () => now,
    );
    detector.report('a', 500, 3);
    detector.report('a', 200, 3);
    detector.report('a', 503, 3);
    expect(detector.isEjected('a')).toBe(false);
    detector.report('a', 0, 3); // a connection failure counts as an error
    expect(detector.isEjected('a')).toBe(true);
    now = 1001;
    expect(detector.isEjected('a')).toBe(false);
    detector.report('a', 500, 3);
    detector.report('a', 500, 3);
    now = 2500;
    expect(detector.isEjected('a')).toBe(true); // second ejection: 2 × 1000 ms from t=1001
    now = 3002;
    expect(detector.isEjected('a')).toBe(false);
  });

  it('never ejects more than max_ejection_percent of the endpoints (but always allows one)', () => {
    const detector = new OutlierDetector({
      consecutive5xx: 1,
      baseEjectionMs: 60_000,
      maxEjectionPercent: 10,
    });
    detector.report('a', 500, 3);
    detector.report('b', 500, 3);
    expect(detector.isEjected('a')).toBe(true);
    expect(detector.isEjected('b')).toBe(false);
  });

  it('the cluster manager stops picking an ejected endpoint, and uses all when every one is out', () => {
    const clusters = manager(OUTLIER, ['10.0.0.1', '10.0.0.2']);
    const pick = () => {
      const picked = clusters.pick(NAME);
      if ('error' in picked) throw new Error(picked.message);
      return picked.endpoint;
    };
    const bad = pick();
    clusters.report(bad, 503);
    clusters.report(bad, 503);
    expect(clusters.isEjected(bad)).toBe(true);
    expect(new Set(Array.from({ length: 6 }, () => pick().key))).toEqual(
      new Set(['10.0.0.2:9080', '10.0.0.1:9080'].filter((k) => k !== bad.key)),
    );
    const other = pick();
    clusters.report(other, 503);
    clusters.report(other, 503);
    expect(new Set(Array.from({ length: 6 }, () => pick().key)).size).toBe(2);
  });
});

describe('circuit breaking', () => {
  it('opens when max_requests requests are in flight and closes as they finish', () => {
    const clusters = manager({ circuit_breakers: { thresholds: [{ max_requests: { value: 2 } }] } });
    const picked = clusters.pick(NAME);
    if ('error' in picked) throw new Error(picked.message);
    const first = clusters.track(picked.endpoint);
    clusters.track(picked.endpoint);
    expect(clusters.overflowed(NAME)).toBe(true);
    first();
    expect(clusters.overflowed(NAME)).toBe(false);
  });

  it("ignores Istio's unlimited defaults (4294967295)", () => {
    const clusters = manager({ circuit_breakers: { thresholds: [{ max_requests: { value: 4294967295 } }] } });
    expect(clusters.overflowed(NAME)).toBe(false);
  });
});
