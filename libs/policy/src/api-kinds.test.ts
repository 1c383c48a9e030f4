import { describe, expect, it } from 'vitest';

import { ISTIO_KINDS, istioKindByName, istioKindOf } from './api-kinds.js';

describe('Istio API kinds', () => {
  it('knows the versions Istio serves', () => {
    expect(istioKindOf('networking.istio.io/v1alpha3', 'VirtualService')?.plural).toBe('virtualservices');
    expect(istioKindOf('security.istio.io/v1', 'AuthorizationPolicy')?.plural).toBe('authorizationpolicies');
    expect(istioKindOf('telemetry.istio.io/v1alpha1', 'Telemetry')).toBeDefined();
  });

  it('refuses versions Istio does not serve', () => {
    expect(istioKindOf('security.istio.io/v1alpha3', 'AuthorizationPolicy')).toBeUndefined();
    expect(istioKindOf('networking.istio.io/v1', 'EnvoyFilter')).toBeUndefined();
    expect(istioKindOf('v1', 'Service')).toBeUndefined();
  });
});

describe('Istio API kinds by name', () => {
  it('finds a kind whatever the version, to report unserved versions', () => {
    expect(istioKindByName('security.istio.io/v1alpha3', 'AuthorizationPolicy')?.versions).toEqual([
      'v1',
      'v1beta1',
    ]);
    expect(istioKindByName('apps/v1', 'Deployment')).toBeUndefined();
  });

  it('stores every kind at v1 except those Istio serves at one earlier version only', () => {
    expect(
      ISTIO_KINDS.filter((k) => k.versions[0] !== 'v1').map((k) => `${k.kind} ${k.versions.join()}`),
    ).toEqual([
      'EnvoyFilter v1alpha3',
      'ProxyConfig v1beta1',
      'WasmPlugin v1alpha1',
      'TrafficExtension v1alpha1',
    ]);
  });
});
