import { DEFAULT_INJECTOR_CONFIG } from '@mesh/kube';
import { describe, expect, it } from 'vitest';

import {
  checkInjectResult,
  newPod,
  type CheckInjectFacts,
  type PodFacts,
} from '../src/diagnose/check-inject-result.js';
import { renderCheckInject } from '../src/diagnose/render-check-inject.js';

/**
 * `check-inject`'s result over given cluster facts: the decision is libs/kube's (its own table tests
 * cover the rules); here what the command adds — an injected pod judged as if created now, the
 * warnings (no webhook, a pod to restart, a sidecar that would not come back) — and the table.
 */

const WEBHOOK = {
  name: 'istio-sidecar-injector',
  revision: 'default',
  webhooks: ['rev.namespace.sidecar-injector.istio.io', 'namespace.sidecar-injector.istio.io'],
};

const pod = (name: string, over: Partial<PodFacts> = {}): PodFacts => ({
  name,
  labels: {},
  annotations: {},
  hostNetwork: false,
  containers: ['app'],
  ...over,
});

const facts = (over: Partial<CheckInjectFacts>): CheckInjectFacts => ({
  namespace: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
  pods: [],
  hypothetical: false,
  config: { ...DEFAULT_INJECTOR_CONFIG, revision: '', enableNamespacesByDefault: false },
  webhooks: [WEBHOOK],
  ...over,
});

const INJECTED = pod('cart-1', {
  annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' },
  containers: ['app', 'istio-proxy'],
});

describe('checkInjectResult', () => {
  it('judges an injected pod as if created now (its status annotation is what the injector added)', () => {
    const result = checkInjectResult(facts({ pods: [INJECTED] }));
    expect(result.pods).toEqual([
      {
        pod: 'cart-1',
        hasSidecar: true,
        inject: true,
        rule: 'namespace-label-enabled',
        reason: 'Namespace label istio-injection=enabled matches',
      },
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('names a pod without a sidecar that a restart would inject, and one whose sidecar would not come back', () => {
    const result = checkInjectResult(
      facts({
        namespace: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
        pods: [
          pod('web-1'),
          pod('old-1', { ...INJECTED, name: 'old-1', labels: { 'sidecar.istio.io/inject': 'false' } }),
        ],
      }),
    );
    expect(result.warnings).toEqual([
      'pod web-1 has no sidecar but would get one if recreated (namespace-label-enabled): restart it',
      'pod old-1 has a sidecar but would not get one if recreated (pod-label)',
    ]);
  });

  it('assumes a new pod without labels for a namespace without pods, and says when no webhook exists', () => {
    const result = checkInjectResult(facts({ namespace: { name: 'empty', labels: {} }, webhooks: [] }));
    expect(result.pods).toEqual([
      expect.objectContaining({ pod: '(new pod)', inject: false, rule: 'no-selector-matched' }),
    ]);
    expect(result.pods[0]).not.toHaveProperty('hasSidecar');
    expect(result.warnings).toEqual([
      'no Istio injection webhook is configured (MutatingWebhookConfiguration labelled app=sidecar-injector): no pod is injected',
    ]);
  });

  it('decides a hypothetical pod (-l) with its labels, and reports no warning for it', () => {
    const result = checkInjectResult(
      facts({ pods: [newPod({ app: 'cart', 'sidecar.istio.io/inject': 'false' })], hypothetical: true }),
    );
    expect(result.pods).toEqual([
      {
        pod: '(new pod)',
        inject: false,
        rule: 'pod-label',
        reason: 'Pod has sidecar.istio.io/inject=false label, preventing injection',
      },
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('uses the revision of the injector settings (istio.io/rev of another revision does not match)', () => {
    const result = checkInjectResult(
      facts({
        namespace: { name: 'shop', labels: { 'istio.io/rev': 'canary' } },
        config: { ...DEFAULT_INJECTOR_CONFIG, revision: 'stable', enableNamespacesByDefault: false },
      }),
    );
    expect(result.revision).toBe('stable');
    expect(result.pods[0]).toMatchObject({ inject: false, rule: 'namespace-revision' });
  });
});

describe('renderCheckInject', () => {
  it('prints the webhooks, a row per pod and the warnings (golden)', () => {
    const result = checkInjectResult(facts({ pods: [INJECTED, pod('web-1')] }));
    expect(renderCheckInject(result, 'table')).toBe(
      [
        'Webhook istio-sidecar-injector (revision default): rev.namespace.sidecar-injector.istio.io, namespace.sidecar-injector.istio.io',
        '',
        'POD     NAMESPACE  SIDECAR  INJECTED  RULE                     REASON',
        'cart-1  shop       yes      ✔         namespace-label-enabled  Namespace label istio-injection=enabled matches',
        'web-1   shop       no       ✔         namespace-label-enabled  Namespace label istio-injection=enabled matches',
        '',
        'WARNING: pod web-1 has no sidecar but would get one if recreated (namespace-label-enabled): restart it',
      ].join('\n'),
    );
  });

  it("prints istioctl's error line when no injection hook is present, and the object for -o json", () => {
    const result = checkInjectResult(facts({ webhooks: [] }));
    expect(renderCheckInject(result, 'table').split('\n')[0]).toBe(
      'ERROR: no Istio injection hooks present.',
    );
    expect(JSON.parse(renderCheckInject(result, 'json'))).toEqual(result);
  });
});
