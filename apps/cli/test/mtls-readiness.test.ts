import { describe, expect, it } from 'vitest';

import {
  mtlsReadinessResult,
  renderMtlsReadiness,
  workloadReadiness,
  type InboundCaller,
} from '../src/diagnose/mtls-readiness.js';

/** `meshctl mtls readiness`'s pure part: which recorded callers STRICT would refuse, and its golden rendering. */
describe('mtls readiness', () => {
  const since = new Date('2026-12-07T23:00:00.000Z');
  const backend = { instance: 'backend-0', namespace: 'default', permissivePorts: ['*'] };
  const caller = (
    c: Partial<InboundCaller> & Pick<InboundCaller, 'address' | 'lastSeen'>,
  ): InboundCaller => ({
    port: 8080,
    mtls: false,
    count: 1,
    firstSeen: c.lastSeen,
    ...c,
  });
  const callers: InboundCaller[] = [
    caller({ address: '127.0.0.1', count: 3, lastSeen: '2026-12-07T23:05:00.000Z' }),
    caller({
      address: '127.0.10.2',
      mtls: true,
      peer: 'spiffe://cluster.local/ns/default/sa/frontend',
      count: 7,
      lastSeen: '2026-12-07T23:06:00.000Z',
    }),
    caller({ address: '127.0.10.3', count: 2, lastSeen: '2026-12-07T23:04:00.000Z' }),
    // Before the window: forgotten.
    caller({ address: '192.0.2.9', lastSeen: '2026-12-07T22:59:59.000Z' }),
    // To a port that is not PERMISSIVE (a port-level DISABLE): STRICT on the workload changes nothing there.
    caller({ address: '192.0.2.10', port: 9090, lastSeen: '2026-12-07T23:05:00.000Z' }),
  ];
  const instances: Record<string, string> = { '127.0.10.2': 'frontend-0', '127.0.10.3': 'legacy-0' };
  const readiness = workloadReadiness(
    backend,
    callers,
    (port) => port === 8080,
    (address) => instances[address],
    since,
  );

  it('counts plaintext callers in the window to PERMISSIVE ports, named when they are mesh instances', () => {
    expect(readiness.plaintext).toEqual([
      {
        address: '127.0.0.1',
        port: 8080,
        count: 3,
        lastSeen: '2026-12-07T23:05:00.000Z',
        caller: 'outside the mesh',
      },
      {
        address: '127.0.10.3',
        port: 8080,
        count: 2,
        lastSeen: '2026-12-07T23:04:00.000Z',
        caller: 'legacy-0',
      },
    ]);
    expect(readiness.mtls).toEqual(['spiffe://cluster.local/ns/default/sa/frontend']);
    expect(mtlsReadinessResult(since, [readiness]).refusals).toBe(2);
  });

  it('renders the verdict and the callers (golden)', () => {
    const ready = workloadReadiness(
      {
        instance: 'frontend-0',
        namespace: 'default',
        permissivePorts: ['*'],
        policy: 'default.istio-system',
      },
      [],
      () => true,
      () => undefined,
      since,
    );
    const unknown = {
      ...ready,
      instance: 'frontend-1',
      unavailable: 'the sidecar admin of frontend-1 did not answer',
    };
    expect(renderMtlsReadiness(mtlsReadinessResult(since, [readiness, ready, unknown]), 'table')).toBe(
      [
        'Inbound connections since 2026-12-07T23:00:00.000Z',
        '',
        'backend-0.default  PERMISSIVE on * (default): STRICT would refuse 2 caller(s)',
        'PLAINTEXT FROM  PORT  CONNECTIONS  LAST SEEN                 CALLER',
        '127.0.0.1       8080  3            2026-12-07T23:05:00.000Z  outside the mesh',
        '127.0.10.3      8080  2            2026-12-07T23:04:00.000Z  legacy-0',
        'mTLS from: spiffe://cluster.local/ns/default/sa/frontend',
        '',
        'frontend-0.default  PERMISSIVE on * (default.istio-system): ready for STRICT',
        '',
        'frontend-1.default  PERMISSIVE on * (default.istio-system): unknown: the sidecar admin of frontend-1 did not answer',
      ].join('\n'),
    );
  });

  it('says when nothing is PERMISSIVE, and -o json prints the object', () => {
    const empty = mtlsReadinessResult(since, []);
    expect(renderMtlsReadiness(empty, 'table')).toBe('No workload has a PERMISSIVE port: nothing to check.');
    expect(JSON.parse(renderMtlsReadiness(empty, 'json'))).toEqual({
      since: '2026-12-07T23:00:00.000Z',
      workloads: [],
      refusals: 0,
      proposal: false,
    });
  });

  it('words the verdict for a proposed policy (--policy)', () => {
    const text = renderMtlsReadiness(mtlsReadinessResult(since, [readiness], true), 'table').split('\n');
    expect(text.slice(2, 4)).toEqual([
      'backend-0.default  PERMISSIVE on * (default): the proposed policy would refuse 2 caller(s)',
      'REFUSED PLAINTEXT FROM  PORT  CONNECTIONS  LAST SEEN                 CALLER',
    ]);
  });
});
