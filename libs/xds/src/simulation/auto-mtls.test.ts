import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import type { SidecarProxy } from '../generation/sidecar/sidecar-context.js';
import { sidecarConfig, simulate } from './simulate.js';

/** Which TLS an outbound call originates to each endpoint: auto-mTLS and DestinationRule TLS. */
const PRODUCTPAGE: SidecarProxy = {
  id: 'sidecar~10.0.0.9~productpage-v1-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'productpage' },
  ipAddresses: ['10.0.0.9'],
  serviceAccount: 'bookinfo-productpage',
};

const snapshot = MeshSnapshot.fromYaml(
  readFileSync(join(import.meta.dirname, 'testdata', 'auto-mtls.yaml'), 'utf8'),
  'auto-mtls.yaml',
);

function endpointsOf(address: string, host: string, enableAutoMtls = true) {
  const config = sidecarConfig(snapshot, PRODUCTPAGE, { enableAutoMtls });
  const result = simulate(config, { direction: 'outbound', address, port: 9080, protocol: 'http', host });
  expect(result.error).toBeUndefined();
  return result.endpoints.map(({ address: ip, tls }) => [ip, tls]);
}

describe('auto-mTLS', () => {
  it('speaks Istio mTLS to the endpoint with a sidecar and plaintext to the one without', () => {
    expect(endpointsOf('10.96.0.11', 'ratings')).toEqual([
      ['10.0.2.1', 'ISTIO_MUTUAL'],
      ['10.0.2.2', 'plaintext'],
    ]);
  });

  it('reports which transport socket match chose the socket', () => {
    const config = sidecarConfig(snapshot, PRODUCTPAGE);
    const result = simulate(config, {
      direction: 'outbound',
      address: '10.96.0.11',
      port: 9080,
      protocol: 'http',
    });
    expect(result.endpoints.map((e) => e.transportSocketMatch)).toEqual([
      'tlsMode-istio',
      'tlsMode-disabled',
    ]);
  });

  it('sends plaintext to both when a DestinationRule disables TLS', () => {
    expect(endpointsOf('10.96.0.12', 'details')).toEqual([
      ['10.0.3.1', 'plaintext'],
      ['10.0.3.2', 'plaintext'],
    ]);
  });

  it("sends plaintext to a sidecar whose PeerAuthentication disables mTLS on the port (Istio's mtlsChecker)", () => {
    expect(endpointsOf('10.96.0.13', 'reviews')).toEqual([
      ['10.0.4.1', 'plaintext'],
      ['10.0.4.2', 'ISTIO_MUTUAL'],
      ['10.0.4.3', 'plaintext'],
    ]);
  });

  it('sends plaintext everywhere when the mesh turns auto-mTLS off', () => {
    expect(endpointsOf('10.96.0.11', 'ratings', false)).toEqual([
      ['10.0.2.1', 'plaintext'],
      ['10.0.2.2', 'plaintext'],
    ]);
  });
});
