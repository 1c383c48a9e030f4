import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { readCase } from '../../../../test/golden.js';
import { TypeUrl } from '../../../type-urls.js';
import { prepareResource } from '../../../server/resource-source.js';
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

describe('VirtualService tcp routes by destinationSubnets (simulated)', () => {
  const entry = (host: string, port: number) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${host.split('.')[0]}, namespace: default }
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{ number: ${port}, name: tcp, protocol: TCP }]
`;
  // legacy-db.internal has no VIP, so every TCP connection to port 5433 reaches 0.0.0.0_5433 and only the
  // original destination address tells the rules apart.
  const yaml = [
    entry('legacy-db.internal', 5433),
    entry('replica-a.internal', 5434),
    entry('replica-b.internal', 5434),
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: legacy-db, namespace: default }
spec:
  hosts: [legacy-db.internal]
  tcp:
    - match: [{ destinationSubnets: [192.168.10.0/24] }]
      route: [{ destination: { host: replica-a.internal, port: { number: 5434 } } }]
    - match: [{ destinationSubnets: [192.168.10.128/25, 192.168.10.0/24] }]
      route: [{ destination: { host: replica-b.internal, port: { number: 5434 } } }]
    - match: [{ destinationSubnets: [10.9.0.0/16], sourceLabels: { app: frontend } }]
      route: [{ destination: { host: replica-b.internal, port: { number: 5434 } } }]
    - route: [{ destination: { host: legacy-db.internal } }]
    - match: [{ destinationSubnets: [172.16.0.0/12] }]
      route: [{ destination: { host: replica-a.internal, port: { number: 5434 } } }]
`,
  ].join('---\n');
  const legacy = sidecarConfig(MeshSnapshot.fromYaml(yaml, 'legacy-db.yaml'), REVIEWS);
  const to = (address: string) =>
    simulate(legacy, { direction: 'outbound', address, port: 5433, protocol: 'tcp' });

  it('sends each destination to the rule of the longest subnet holding it, else to the catch-all rule', () => {
    expect(to('192.168.10.5').clusters).toEqual([{ name: 'outbound|5434||replica-a.internal' }]);
    expect(to('192.168.10.200').clusters).toEqual([{ name: 'outbound|5434||replica-b.internal' }]);
    // The frontend-only match does not apply to reviews; rules after the catch-all are never reached.
    for (const address of ['10.9.1.1', '172.16.0.1', '203.0.113.9']) {
      const result = to(address);
      expect(result.error).toBeUndefined();
      expect(result.listener).toBe('0.0.0.0_5433');
      expect(result.clusters).toEqual([{ name: 'outbound|5433||legacy-db.internal' }]);
    }
  });

  it('claims each subnet once, as Envoy rejects chains with identical matches', () => {
    const listener = legacy.listeners.find((l) => l.name === '0.0.0.0_5433');
    expect(() => prepareResource(TypeUrl.Listener, '0.0.0.0_5433', listener as object)).not.toThrow();
    expect(listener?.filter_chains?.map((c) => c.filter_chain_match?.prefix_ranges ?? [])).toEqual([
      [{ address_prefix: '192.168.10.0', prefix_len: { value: 24 } }],
      [{ address_prefix: '192.168.10.128', prefix_len: { value: 25 } }],
      [],
    ]);
  });
});
