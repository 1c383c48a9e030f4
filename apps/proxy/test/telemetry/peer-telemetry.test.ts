import { describe, expect, it } from 'vitest';

import { namespaceFromPrincipal, peerTelemetryFromWorkload, unknownPeer } from '../../src/telemetry/index.js';

describe('peerTelemetryFromWorkload', () => {
  it('takes app, version and canonical names from the usual labels', () => {
    expect(
      peerTelemetryFromWorkload({
        workloadName: 'reviews-v2',
        namespace: 'default',
        labels: { app: 'reviews', version: 'v2' },
        identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
        cluster: 'Kubernetes',
      }),
    ).toEqual({
      workload: 'reviews-v2',
      namespace: 'default',
      principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
      app: 'reviews',
      version: 'v2',
      canonicalService: 'reviews',
      canonicalRevision: 'v2',
      cluster: 'Kubernetes',
    });
  });

  it.each([
    [{ 'service.istio.io/canonical-name': 'c', 'app.kubernetes.io/name': 'k', app: 'a' }, 'c'],
    [{ 'app.kubernetes.io/name': 'k', app: 'a' }, 'k'],
    [{ app: 'a' }, 'a'],
    [{ 'service.istio.io/canonical-name': '', app: 'a' }, 'a'],
    [{}, 'ratings-v1'],
  ])('canonical service from %j is %s', (labels, expected) => {
    const peer = peerTelemetryFromWorkload({ workloadName: 'ratings-v1', labels });
    expect(peer.canonicalService).toBe(expected);
  });

  it.each([
    [{ 'service.istio.io/canonical-revision': 'c', 'app.kubernetes.io/version': 'k', version: 'v' }, 'c'],
    [{ 'app.kubernetes.io/version': 'k', version: 'v' }, 'k'],
    [{ version: 'v' }, 'v'],
    [{}, 'latest'],
  ])('canonical revision from %j is %s', (labels, expected) => {
    expect(peerTelemetryFromWorkload({ labels }).canonicalRevision).toBe(expected);
  });

  it('trusts the identity’s namespace over the reported one', () => {
    const peer = peerTelemetryFromWorkload({
      namespace: 'claimed',
      identity: 'spiffe://cluster.local/ns/actual/sa/default',
    });
    expect(peer.namespace).toBe('actual');
  });

  it('leaves what is not known empty', () => {
    expect(peerTelemetryFromWorkload({})).toEqual({ ...unknownPeer(), canonicalRevision: 'latest' });
  });
});

describe('namespaceFromPrincipal', () => {
  it.each([
    ['spiffe://cluster.local/ns/default/sa/frontend', 'default'],
    ['cluster.local/ns/istio-system/sa/istio-ingressgateway', 'istio-system'],
    ['spiffe://td/ns/trailing', 'trailing'],
    ['spiffe://td/ns//sa/x', undefined],
    ['spiffe://td/workload/x', undefined],
    ['', undefined],
  ])('%s → %s', (principal, expected) => {
    expect(namespaceFromPrincipal(principal)).toBe(expected);
  });
});
