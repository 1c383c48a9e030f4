import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/policy';
import { describe, expect, it } from 'vitest';

import { readCase } from '../../../../test/golden.js';
import { sidecarConfig, simulate } from '../../../simulation/simulate.js';
import type { SidecarProxy } from '../sidecar-context.js';

/** Outbound calls from reviews-1 through the listeners of the `tcp-and-tls-routes` golden case. */
const DIR = join(import.meta.dirname, '..', '..', 'testdata', 'sidecar-listeners');
const NAME = 'tcp-and-tls-routes';

const REVIEWS: SidecarProxy = {
  id: 'sidecar~10.0.0.7~reviews-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'reviews', version: 'v1' },
  ipAddresses: ['10.0.0.7'],
  serviceAccount: 'reviews',
};

const config = sidecarConfig(MeshSnapshot.fromYaml(readCase(DIR, NAME), `${NAME}.in.yaml`), REVIEWS);
const ORDERS_DB = 'orders-db.default.svc.cluster.local';
const PAYMENTS = 'payments.example.com';

function tls(address: string, sni: string | undefined) {
  return simulate(config, {
    direction: 'outbound',
    address,
    port: 443,
    protocol: 'tcp',
    ...(sni === undefined ? {} : { sni }),
  });
}

describe('VirtualService tcp routes (simulated)', () => {
  it('splits a TCP connection to orders-db 80/20 between v1 and v2', () => {
    const result = simulate(config, {
      direction: 'outbound',
      address: '10.96.0.30',
      port: 5432,
      protocol: 'tcp',
    });
    expect(result.error).toBeUndefined();
    expect(result.listener).toBe('10.96.0.30_5432');
    expect(result.clusters).toEqual([
      { name: `outbound|5432|v1|${ORDERS_DB}`, weight: 80 },
      { name: `outbound|5432|v2|${ORDERS_DB}`, weight: 20 },
    ]);
    expect(result.endpoints.map((e) => [e.cluster, e.address])).toEqual([
      [`outbound|5432|v1|${ORDERS_DB}`, '10.0.6.1'],
      [`outbound|5432|v2|${ORDERS_DB}`, '10.0.6.2'],
    ]);
  });
});

describe('VirtualService tls routes (simulated)', () => {
  it('sends SNI payments.example.com to v1 (the frontend-only match does not apply)', () => {
    const result = tls('240.240.0.10', PAYMENTS);
    expect(result.error).toBeUndefined();
    expect(result.clusters).toEqual([{ name: `outbound|443|v1|${PAYMENTS}` }]);
    expect(result.endpoints.map((e) => e.address)).toEqual(['10.0.7.1']);
  });

  it('sends the canary SNI and the *.beta wildcard to v2', () => {
    for (const sni of ['canary.payments.example.com', 'eu.beta.payments.example.com']) {
      const result = tls('240.240.0.10', sni);
      expect(result.error).toBeUndefined();
      expect(result.clusters).toEqual([{ name: `outbound|443|v2|${PAYMENTS}` }]);
      expect(result.endpoints.map((e) => e.address)).toEqual(['10.0.7.2']);
    }
  });

  it('finds no chain for another SNI or plaintext, as istiod builds no default chain then', () => {
    expect(tls('240.240.0.10', 'other.example.com').error).toBe('no filter chain matched');
    expect(tls('240.240.0.10', undefined).error).toBe('no filter chain matched');
  });

  it('tells VIP-less TLS ServiceEntries on 0.0.0.0_443 apart by SNI', () => {
    for (const host of ['api.stripe.example', 'api.github.example']) {
      const result = tls('203.0.113.5', host);
      expect(result.error).toBeUndefined();
      expect(result.listener).toBe('0.0.0.0_443');
      expect(result.clusters).toEqual([{ name: `outbound|443||${host}` }]);
    }
  });
});
