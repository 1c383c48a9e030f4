import { describe, expect, it } from 'vitest';

import {
  notReady,
  renderStatusTable,
  type InstanceStatus,
  type LocalStatus,
} from '../src/local/local-status.js';

/**
 * `meshctl local status` says how often the supervisor restarted each sidecar (the RESTARTS column,
 * `restarts` in JSON) and which instances are not ready, for which it exits non-zero.
 * (tools/e2e sidecar-restart kills a real sidecar.)
 */

function workload(instance: string, proxy: InstanceStatus['proxy'], restarts: number): InstanceStatus {
  return {
    ...{ instance, workload: instance, namespace: 'default', identity: 'spiffe://x', address: '127.0.10.2' },
    ...{ ports: [9080], proxy, restarts, xds: '-', mtls: 'STRICT' },
  } as InstanceStatus;
}

function status(...workloads: InstanceStatus[]): LocalStatus {
  return {
    ...{ mesh: 'm', mode: 'explicit', meshFile: '', startedAt: '' },
    istiod: { xdsPort: 1, monitoringPort: 2, metrics: '' },
    config: { invalid: [], lastGoodKept: [], overrides: [] },
    workloads,
  };
}

describe('sidecar restarts and readiness in local status', () => {
  it('shows the restarts of each sidecar after its readiness', () => {
    const lines = renderStatusTable(status(workload('reviews-0', 'ready', 2))).split('\n');
    expect(lines[0]).toMatch(/ PROXY +RESTARTS +XDS /);
    expect(lines[1]).toMatch(/ ready +2 +- /);
  });

  it('names the instances whose sidecar is not ready; one without a sidecar is not waited for', () => {
    const mesh = status(
      workload('reviews-0', 'ready', 0),
      workload('ratings-0', 'not ready', 1),
      workload('outsider-0', 'none', 0),
    );
    expect(notReady(mesh)).toEqual(['ratings-0']);
    expect(notReady(status(workload('reviews-0', 'ready', 3)))).toEqual([]);
  });
});
