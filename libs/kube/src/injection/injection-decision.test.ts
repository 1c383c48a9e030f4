import { describe, expect, it } from 'vitest';

import {
  decideInjection,
  decideNamespaceSelection,
  decidePodInjection,
  type InjectionPolicyConfig,
  type InjectionRule,
  type PodInjectionFacts,
} from './injection-decision.js';

const enabled: InjectionPolicyConfig = {
  policy: 'enabled',
  neverInjectSelector: [],
  alwaysInjectSelector: [],
};
const disabled: InjectionPolicyConfig = { ...enabled, policy: 'disabled' };
const pod = (facts: Partial<PodInjectionFacts> = {}): PodInjectionFacts => ({
  namespace: 'default',
  ...facts,
});

describe('decidePodInjection: Istio injectRequired, in order', () => {
  const cases: [string, PodInjectionFacts, InjectionPolicyConfig, boolean, InjectionRule][] = [
    [
      'host network first, even when the pod asks',
      pod({ hostNetwork: true, labels: { 'sidecar.istio.io/inject': 'true' } }),
      enabled,
      false,
      'host-network',
    ],
    [
      'kube-system is never injected',
      pod({ namespace: 'kube-system', labels: { 'sidecar.istio.io/inject': 'true' } }),
      enabled,
      false,
      'ignored-namespace',
    ],
    ['kube-public is never injected', pod({ namespace: 'kube-public' }), enabled, false, 'ignored-namespace'],
    [
      'already injected (status annotation)',
      pod({ annotations: { 'sidecar.istio.io/status': '{}' } }),
      enabled,
      false,
      'already-injected',
    ],
    [
      'annotation false',
      pod({ annotations: { 'sidecar.istio.io/inject': 'false' } }),
      enabled,
      false,
      'pod-annotation',
    ],
    [
      'annotation true under a disabled policy',
      pod({ annotations: { 'sidecar.istio.io/inject': 'true' } }),
      disabled,
      true,
      'pod-annotation',
    ],
    [
      'label wins over annotation',
      pod({
        labels: { 'sidecar.istio.io/inject': 'true' },
        annotations: { 'sidecar.istio.io/inject': 'false' },
      }),
      disabled,
      true,
      'pod-label',
    ],
    [
      'label false wins over annotation true',
      pod({
        labels: { 'sidecar.istio.io/inject': 'false' },
        annotations: { 'sidecar.istio.io/inject': 'true' },
      }),
      enabled,
      false,
      'pod-label',
    ],
    [
      'an unknown value falls back to the policy',
      pod({ annotations: { 'sidecar.istio.io/inject': 'yes' } }),
      disabled,
      false,
      'policy-disabled',
    ],
    ['no opinion, policy enabled', pod(), enabled, true, 'policy-enabled'],
    ['no opinion, policy disabled', pod(), disabled, false, 'policy-disabled'],
    [
      'neverInjectSelector',
      pod({ labels: { team: 'batch' } }),
      { ...enabled, neverInjectSelector: [{ matchLabels: { team: 'batch' } }] },
      false,
      'never-inject-selector',
    ],
    [
      'alwaysInjectSelector',
      pod({ labels: { team: 'web' } }),
      {
        ...disabled,
        alwaysInjectSelector: [{ matchExpressions: [{ key: 'team', operator: 'In', values: ['web'] }] }],
      },
      true,
      'always-inject-selector',
    ],
    [
      'never beats always',
      pod({ labels: { team: 'x' } }),
      {
        ...enabled,
        neverInjectSelector: [{ matchLabels: { team: 'x' } }],
        alwaysInjectSelector: [{ matchLabels: { team: 'x' } }],
      },
      false,
      'never-inject-selector',
    ],
    [
      'an explicit pod choice beats the selectors',
      pod({ labels: { team: 'x', 'sidecar.istio.io/inject': 'true' } }),
      { ...enabled, neverInjectSelector: [{ matchLabels: { team: 'x' } }] },
      true,
      'pod-label',
    ],
    [
      'an empty selector matches nothing',
      pod({ labels: { a: 'b' } }),
      { ...enabled, neverInjectSelector: [{}] },
      true,
      'policy-enabled',
    ],
  ];
  it.each(cases)('%s', (_name, facts, config, inject, rule) => {
    const decision = decidePodInjection(facts, config);
    expect(decision).toMatchObject({ inject, rule });
    expect(decision.reason).not.toBe('');
  });
});

describe('decideNamespaceSelection: the webhook selector matrix', () => {
  const def = { revision: '', enableNamespacesByDefault: false };
  const canary = { revision: 'canary', enableNamespacesByDefault: false };
  const cases: [
    string,
    Record<string, string>,
    Record<string, string>,
    typeof def,
    boolean,
    InjectionRule,
  ][] = [
    ['istio-injection=enabled', { 'istio-injection': 'enabled' }, {}, def, true, 'namespace-label-enabled'],
    [
      'istio-injection=disabled beats a pod that asks',
      { 'istio-injection': 'disabled' },
      { 'sidecar.istio.io/inject': 'true' },
      def,
      false,
      'namespace-label-disabled',
    ],
    [
      'pod label false excludes',
      { 'istio-injection': 'enabled' },
      { 'sidecar.istio.io/inject': 'false' },
      def,
      false,
      'pod-label',
    ],
    [
      'istio-injection=enabled beats istio.io/rev',
      { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' },
      {},
      canary,
      false,
      'namespace-label-enabled',
    ],
    ['istio.io/rev of this revision', { 'istio.io/rev': 'canary' }, {}, canary, true, 'namespace-revision'],
    ['istio.io/rev of another revision', { 'istio.io/rev': 'canary' }, {}, def, false, 'namespace-revision'],
    [
      'pod revision label in an unlabelled namespace',
      {},
      { 'istio.io/rev': 'canary' },
      canary,
      true,
      'pod-revision',
    ],
    [
      'object opt-in in an unlabelled namespace',
      {},
      { 'sidecar.istio.io/inject': 'true' },
      def,
      true,
      'pod-label',
    ],
    ['nothing selects', {}, {}, def, false, 'no-selector-matched'],
    [
      'enableNamespacesByDefault',
      {},
      {},
      { ...def, enableNamespacesByDefault: true },
      true,
      'enabled-by-default',
    ],
  ];
  it.each(cases)('%s', (_name, nsLabels, podLabels, options, inject, rule) => {
    expect(decideNamespaceSelection({ name: 'apps', labels: nsLabels }, podLabels, options)).toMatchObject({
      inject,
      rule,
    });
  });

  it('enableNamespacesByDefault never reaches kube-system', () => {
    expect(
      decideNamespaceSelection({ name: 'kube-system' }, {}, { revision: '', enableNamespacesByDefault: true })
        .inject,
    ).toBe(false);
  });
});

describe('decideInjection: both layers', () => {
  const config = { ...enabled, revision: '', enableNamespacesByDefault: false };
  it('reports the namespace label when it is what selected the pod', () => {
    expect(
      decideInjection({ name: 'default', labels: { 'istio-injection': 'enabled' } }, pod(), config),
    ).toMatchObject({
      inject: true,
      rule: 'namespace-label-enabled',
    });
  });
  it('the annotation opt-out (invisible to selectors) is the pod layer', () => {
    const optedOut = pod({ annotations: { 'sidecar.istio.io/inject': 'false' } });
    expect(
      decideInjection({ name: 'default', labels: { 'istio-injection': 'enabled' } }, optedOut, config),
    ).toMatchObject({
      inject: false,
      rule: 'pod-annotation',
    });
  });
});
