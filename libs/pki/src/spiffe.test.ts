import { describe, expect, it } from 'vitest';

import { formatSpiffeId, parseSpiffeId } from './spiffe.js';

describe('SPIFFE identities', () => {
  it('round-trips an Istio workload identity', () => {
    const uri = 'spiffe://cluster.local/ns/default/sa/frontend';
    expect(parseSpiffeId(uri)).toEqual({
      trustDomain: 'cluster.local',
      namespace: 'default',
      serviceAccount: 'frontend',
    });
    expect(formatSpiffeId(parseSpiffeId(uri))).toBe(uri);
  });

  it.each([
    ['https://cluster.local/ns/default/sa/x', /must start with spiffe:\/\//],
    ['spiffe://cluster.local', /no trust domain or no path/],
    ['spiffe://cluster.local/ns/default', /\/ns\/<namespace>\/sa\/<service-account>/],
    ['spiffe://Cluster.Local/ns/default/sa/x', /trust domain "Cluster.Local"/],
    ['spiffe://cluster.local/ns/../sa/x', /namespace "\.\." is not a valid/],
  ])('rejects %s', (uri, message) => {
    expect(() => parseSpiffeId(uri)).toThrow(message);
  });
});
