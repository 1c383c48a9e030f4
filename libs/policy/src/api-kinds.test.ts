import { describe, expect, it } from 'vitest';

import { istioKindOf } from './api-kinds.js';

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
