import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import type { SidecarProxy } from '../generation/sidecar/sidecar-context.js';
import type { InboundCall } from './simulation-types.js';
import { sidecarConfig, simulate } from './simulate.js';

/** Inbound calls to backend under each PeerAuthentication mode: which filter chain takes them. */
const BACKEND: SidecarProxy = {
  id: 'sidecar~10.0.0.30~backend-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'backend' },
  ipAddresses: ['10.0.0.30'],
  serviceAccount: 'backend',
};

function backendWith(...files: string[]) {
  const text = ['backend.yaml', ...files]
    .map((file) => readFileSync(join(import.meta.dirname, 'testdata', file), 'utf8'))
    .join('\n---\n');
  return sidecarConfig(MeshSnapshot.fromYaml(text, files.join('+') || 'backend.yaml'), BACKEND);
}

/** What a client sidecar sends: mTLS with Istio's ALPN and its certificate. */
const MTLS = {
  tls: true,
  alpn: ['istio-http/1.1', 'istio'],
  sourcePrincipal: 'cluster.local/ns/default/sa/frontend',
};
const PLAINTEXT = { tls: false };

function call(port: number, protocol: 'http' | 'tcp', transport: Partial<InboundCall>): InboundCall {
  return { direction: 'inbound', port, protocol, tls: false, ...transport };
}

describe('PeerAuthentication on inbound traffic', () => {
  it('STRICT: refuses plaintext (no chain matches) and terminates mTLS', () => {
    const config = backendWith('pa-strict.yaml');
    for (const [port, protocol] of [
      [8080, 'http'],
      [5432, 'tcp'],
    ] as const) {
      expect(simulate(config, call(port, protocol, PLAINTEXT))).toEqual({
        listener: 'virtualInbound',
        error: 'no filter chain matched',
      });
      expect(simulate(config, call(port, protocol, MTLS))).toMatchObject({
        filterChain: `0.0.0.0_${port}`,
        tls: true,
        cluster: `inbound|${port}||`,
      });
    }
  });

  it('STRICT: a TLS client without a certificate fails the handshake', () => {
    const result = simulate(backendWith('pa-strict.yaml'), call(8080, 'http', { tls: true }));
    expect(result.error).toMatch(/client certificate/);
  });

  it('PERMISSIVE (no policy): both mTLS and plaintext reach the app', () => {
    const config = backendWith();
    expect(simulate(config, call(8080, 'http', MTLS))).toMatchObject({
      filterChain: '0.0.0.0_8080',
      tls: true,
    });
    expect(simulate(config, call(8080, 'http', PLAINTEXT))).toMatchObject({
      filterChain: '0.0.0.0_8080-plaintext',
      tls: false,
      cluster: 'inbound|8080||',
    });
  });

  it('PERMISSIVE TCP: TLS without Istio ALPN is passed through, not terminated', () => {
    const result = simulate(backendWith(), call(5432, 'tcp', { tls: true, alpn: ['postgresql'] }));
    expect(result).toMatchObject({ filterChain: '0.0.0.0_5432-tls', tls: false, cluster: 'inbound|5432||' });
  });

  it('DISABLE: an mTLS call does not get a chain that terminates mTLS', () => {
    const config = backendWith('pa-disable.yaml');
    expect(simulate(config, call(5432, 'tcp', MTLS))).toMatchObject({
      filterChain: '0.0.0.0_5432-plaintext',
      tls: false,
    });
    expect(simulate(config, call(8080, 'http', MTLS)).error).toMatch(/does not terminate TLS/);
    expect(simulate(config, call(8080, 'http', PLAINTEXT))).toMatchObject({ cluster: 'inbound|8080||' });
  });

  it('a port-level override: PERMISSIVE 5432 inside a STRICT mesh', () => {
    const config = backendWith('pa-strict-port-permissive.yaml');
    expect(simulate(config, call(5432, 'tcp', PLAINTEXT))).toMatchObject({
      filterChain: '0.0.0.0_5432-plaintext',
      cluster: 'inbound|5432||',
    });
    expect(simulate(config, call(8080, 'http', PLAINTEXT)).error).toBe('no filter chain matched');
  });

  it('a port no service declares follows the workload mode through the passthrough chains', () => {
    expect(simulate(backendWith('pa-strict.yaml'), call(7777, 'tcp', PLAINTEXT)).error).toBe(
      'no filter chain matched',
    );
    expect(simulate(backendWith(), call(7777, 'tcp', PLAINTEXT))).toMatchObject({
      filterChain: 'virtualInbound-plaintext',
      cluster: 'InboundPassthroughCluster',
    });
  });
});
