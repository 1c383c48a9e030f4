import { describe, expect, it } from 'vitest';

import { formatExpiry, renderStatusTable, type LocalStatus } from '../src/local/local-status.js';

/**
 * `meshctl local status` shows when each sidecar's workload certificate expires (seed 004: monitor
 * certificate expiration), from the sidecar's admin `/certs`: the JSON carries the certificate, the
 * table how long it has left. (tools/e2e certificate-expiry reads it from a real sidecar.)
 */

const NOW = new Date('2030-01-01T00:00:00Z');

function status(certificate?: { serialNumber: string; expires: string }): LocalStatus {
  return {
    ...{ mesh: 'm', mode: 'explicit', meshFile: '', startedAt: '' },
    istiod: { xdsPort: 1, monitoringPort: 2, metrics: '' },
    config: { invalid: [], lastGoodKept: [], overrides: [] },
    workloads: [
      {
        ...{ instance: 'reviews-0', workload: 'reviews', namespace: 'default' },
        ...{ identity: 'spiffe://cluster.local/ns/default/sa/reviews', address: '127.0.10.2', ports: [9080] },
        ...{ proxy: 'ready', restarts: 0, xds: 'synced', mtls: 'STRICT' },
        ...(certificate ? { certificate } : {}),
      },
    ],
  };
}

describe('certificate expiry in local status', () => {
  it('is a column of the table: how long the workload certificate has left', () => {
    const lines = renderStatusTable(
      status({ serialNumber: 'ab12', expires: '2030-01-01T23:59:30Z' }),
      NOW,
    ).split('\n');
    expect(lines[0]).toMatch(/ MTLS +CERT EXPIRES$/);
    expect(lines[1]).toMatch(/ STRICT +in 23h59m$/);
  });

  it('says - where no sidecar answered', () => {
    expect(renderStatusTable(status(), NOW).split('\n')[1]).toMatch(/ STRICT +-$/);
  });

  it.each([
    ['2030-01-09T06:00:00Z', 'in 8d6h'],
    ['2030-01-01T12:30:00Z', 'in 12h30m'],
    ['2030-01-01T00:04:05Z', 'in 4m5s'],
    ['2029-12-31T23:00:00Z', 'EXPIRED 2029-12-31T23:00:00Z'],
  ])('expires %s → %s', (expires, shown) => {
    expect(formatExpiry(expires, NOW)).toBe(shown);
  });
});
