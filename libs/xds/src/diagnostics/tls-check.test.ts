import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import type { SidecarProxy } from '../generation/sidecar/sidecar-context.js';
import { tlsCheck, tlsConflict } from './tls-check.js';

/** tls-check over the frontend/backend scenario: the client's generated clusters against the server's mode. */
const FRONTEND: SidecarProxy = {
  id: 'sidecar~10.0.0.10~frontend-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'frontend' },
  ipAddresses: ['10.0.0.10'],
  serviceAccount: 'frontend',
};
const BACKEND = 'backend.default.svc.cluster.local';
const SCENARIO = readFileSync(join(import.meta.dirname, 'testdata', 'frontend-backend.yaml'), 'utf8');

const STRICT_NAMESPACE = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default-strict-mtls, namespace: default }
spec: { mtls: { mode: STRICT } }`;

const destinationRule = (trafficPolicy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  trafficPolicy: ${trafficPolicy}`;

function check(...extra: string[]) {
  const snapshot = MeshSnapshot.fromYaml([SCENARIO, ...extra].join('\n---\n'), 'scenario.yaml');
  return tlsCheck(snapshot, FRONTEND, { host: BACKEND });
}

const summary = (report: ReturnType<typeof check>) =>
  report.rows.map((r) => ({
    port: r.port,
    status: r.status,
    client: r.client,
    dr: r.destinationRule,
    portLevel: r.portLevel,
    endpoints: r.endpoints.map((e) => [e.address, e.sends, e.server, e.policy, e.reason]),
  }));

describe('tlsCheck', () => {
  it('is OK under STRICT with auto-mTLS, naming the policy that sets STRICT', () => {
    const report = check(STRICT_NAMESPACE);
    expect(report.client.identity).toBe('spiffe://cluster.local/ns/default/sa/frontend');
    expect(summary(report)).toEqual([
      {
        port: 5432,
        status: 'OK',
        client: 'AUTO',
        dr: undefined,
        portLevel: false,
        endpoints: [['10.0.0.30', 'ISTIO_MUTUAL', 'STRICT', 'default-strict-mtls.default', undefined]],
      },
      {
        port: 8080,
        status: 'OK',
        client: 'AUTO',
        dr: undefined,
        portLevel: false,
        endpoints: [['10.0.0.30', 'ISTIO_MUTUAL', 'STRICT', 'default-strict-mtls.default', undefined]],
      },
    ]);
  });

  it('is OK with ISTIO_MUTUAL from a DestinationRule', () => {
    const rows = check(STRICT_NAMESPACE, destinationRule('{ tls: { mode: ISTIO_MUTUAL } }')).rows;
    expect(rows.map((r) => [r.client, r.destinationRule, r.status])).toEqual([
      ['ISTIO_MUTUAL', 'backend.default', 'OK'],
      ['ISTIO_MUTUAL', 'backend.default', 'OK'],
    ]);
  });

  it('is a CONFLICT when a DestinationRule disables TLS towards a STRICT server', () => {
    const rows = check(STRICT_NAMESPACE, destinationRule('{ tls: { mode: DISABLE } }')).rows;
    expect(rows.map((r) => [r.client, r.status, r.endpoints[0]?.reason])).toEqual([
      ['DISABLE', 'CONFLICT', 'STRICT server refuses plaintext, and the client sends plaintext'],
      ['DISABLE', 'CONFLICT', 'STRICT server refuses plaintext, and the client sends plaintext'],
    ]);
  });

  it('follows a port-level setting for its port only', () => {
    const rule = destinationRule(
      '{ tls: { mode: ISTIO_MUTUAL }, portLevelSettings: [{ port: { number: 5432 }, tls: { mode: DISABLE } }] }',
    );
    const rows = check(STRICT_NAMESPACE, rule).rows;
    expect(rows.map((r) => [r.port, r.client, r.portLevel, r.status])).toEqual([
      [5432, 'DISABLE', true, 'CONFLICT'],
      [8080, 'ISTIO_MUTUAL', false, 'OK'],
    ]);
  });

  it('is OK for plaintext to a PERMISSIVE server (the default, named by no policy)', () => {
    const rows = check(destinationRule('{ tls: { mode: DISABLE } }')).rows;
    expect(rows.map((r) => [r.status, r.endpoints[0]?.server, r.endpoints[0]?.policy])).toEqual([
      ['OK', 'PERMISSIVE', undefined],
      ['OK', 'PERMISSIVE', undefined],
    ]);
  });

  it('takes the workload port-level mode and names the workload policy; auto-mTLS follows it with plaintext', () => {
    const policy = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: backend-db, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  portLevelMtls: { '5432': { mode: DISABLE } }`;
    const rows = check(STRICT_NAMESPACE, policy).rows;
    expect(
      rows.map((r) => [
        r.port,
        r.endpoints[0]?.server,
        r.endpoints[0]?.policy,
        r.endpoints[0]?.sends,
        r.status,
      ]),
    ).toEqual([
      [5432, 'DISABLE', 'backend-db.default', 'plaintext', 'OK'],
      [8080, 'STRICT', 'default-strict-mtls.default', 'ISTIO_MUTUAL', 'OK'],
    ]);
  });

  it('lists every service the client sees when no host is given, and the ports asked for only', () => {
    const snapshot = MeshSnapshot.fromYaml(SCENARIO, 'scenario.yaml');
    expect(tlsCheck(snapshot, FRONTEND).rows.map((r) => r.cluster)).toEqual([
      `outbound|5432||${BACKEND}`,
      `outbound|8080||${BACKEND}`,
    ]);
    expect(tlsCheck(snapshot, FRONTEND, { host: BACKEND, port: 8080 }).rows).toHaveLength(1);
  });
});

describe('tlsConflict', () => {
  it.each([
    ['ISTIO_MUTUAL', 'STRICT', false],
    ['ISTIO_MUTUAL', 'PERMISSIVE', false],
    ['plaintext', 'PERMISSIVE', false],
    ['plaintext', 'DISABLE', false],
    ['plaintext', 'NO SIDECAR', false],
    ['SIMPLE', 'PERMISSIVE', false],
    ['plaintext', 'STRICT', true],
    ['SIMPLE', 'STRICT', true],
    ['ISTIO_MUTUAL', 'DISABLE', true],
    ['ISTIO_MUTUAL', 'NO SIDECAR', true],
  ] as const)('%s to %s: conflict %s', (sends, server, conflict) => {
    expect(tlsConflict(sends, server) !== undefined).toBe(conflict);
  });
});
