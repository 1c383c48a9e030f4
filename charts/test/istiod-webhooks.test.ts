import { matchesLabelSelector, type LabelSelectorObject } from '@mesh/kube';
import { describe, expect, it } from 'vitest';

import { only, render } from './helm.js';

interface Webhook {
  name: string;
  clientConfig: { url?: string; service?: { name: string; namespace: string; path: string; port: number } };
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  failurePolicy: string;
  rules: { operations: string[]; resources?: string[]; apiGroups: string[] }[];
}

const webhooksOf = (kind: string, args: string[] = []) =>
  only<{ webhooks: Webhook[] }>(render('istiod', args), kind).webhooks;
const injection = (args: string[] = []) => webhooksOf('MutatingWebhookConfiguration', args);

/** The webhooks the API server would call for a pod with these labels in a namespace with these. */
function calledFor(
  webhooks: Webhook[],
  namespace: Record<string, string>,
  pod: Record<string, string>,
): string[] {
  return webhooks
    .filter(
      (w) =>
        matchesLabelSelector(w.namespaceSelector, namespace) && matchesLabelSelector(w.objectSelector, pod),
    )
    .map((w) => w.name.replace('.sidecar-injector.istio.io', ''));
}

const ns = (name: string, labels: Record<string, string> = {}) => ({
  'kubernetes.io/metadata.name': name,
  ...labels,
});

describe('charts/istiod: which pods the injection webhook receives (istio-facts §5.1)', () => {
  const defaultRevision = injection();
  const canary = injection(['--set', 'revision=canary']);
  const byDefault = injection(['--set', 'sidecarInjectorWebhook.enableNamespacesByDefault=true']);

  it.each([
    [
      'istio-injection=enabled namespace',
      ns('default', { 'istio-injection': 'enabled' }),
      {},
      ['namespace'],
      [],
    ],
    [
      'istio-injection=disabled, pod asks',
      ns('default', { 'istio-injection': 'disabled' }),
      { 'sidecar.istio.io/inject': 'true' },
      [],
      [],
    ],
    [
      'pod label inject=false in an enabled namespace',
      ns('default', { 'istio-injection': 'enabled' }),
      { 'sidecar.istio.io/inject': 'false' },
      [],
      [],
    ],
    ['unlabelled namespace, plain pod', ns('default'), {}, [], []],
    [
      'unlabelled namespace, pod label inject=true',
      ns('default'),
      { 'sidecar.istio.io/inject': 'true' },
      ['object'],
      [],
    ],
    [
      'istio.io/rev=default namespace',
      ns('default', { 'istio.io/rev': 'default' }),
      {},
      ['rev.namespace'],
      [],
    ],
    ['istio.io/rev=canary namespace', ns('default', { 'istio.io/rev': 'canary' }), {}, [], ['rev.namespace']],
    [
      'istio-injection=enabled beats istio.io/rev=canary',
      ns('default', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }),
      {},
      ['namespace'],
      [],
    ],
    [
      'unlabelled namespace, pod istio.io/rev=canary',
      ns('default'),
      { 'istio.io/rev': 'canary' },
      [],
      ['rev.object'],
    ],
    [
      "istiod's own pod",
      ns('istio-system'),
      { app: 'istiod', 'istio.io/rev': 'default', 'sidecar.istio.io/inject': 'false' },
      [],
      [],
    ],
  ])('%s', (_, namespace, pod, forDefault, forCanary) => {
    expect(calledFor(defaultRevision, namespace, pod)).toEqual(forDefault);
    expect(calledFor(canary, namespace, pod)).toEqual(forCanary);
  });

  it('with enableNamespacesByDefault, every unlabelled namespace but Kubernetes’ own', () => {
    expect(calledFor(byDefault, ns('default'), {})).toEqual(['auto']);
    expect(calledFor(byDefault, ns('kube-system'), {})).toEqual([]);
    expect(calledFor(byDefault, ns('default'), { 'sidecar.istio.io/inject': 'false' })).toEqual([]);
    expect(calledFor(byDefault, ns('default', { 'istio-injection': 'disabled' }), {})).toEqual([]);
    expect(calledFor(defaultRevision, ns('default'), {})).toEqual([]);
  });

  it('sends pod CREATE to the istiod Service on 443, failing closed', () => {
    for (const webhook of defaultRevision) {
      expect(webhook.clientConfig).toEqual({
        service: { name: 'istiod', namespace: 'istio-system', path: '/inject', port: 443 },
      });
      expect(webhook.failurePolicy).toBe('Fail');
      expect(webhook.rules).toEqual([
        { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
      ]);
    }
    expect(canary.map((w) => w.clientConfig.service?.name)).toEqual(['istiod-canary', 'istiod-canary']);
  });

  it('calls istiodRemote.injectionURL instead of the Service when set, with its caBundle', () => {
    const remote = injection([
      '--set',
      'istiodRemote.injectionURL=https://127.0.0.1:41017/inject',
      '--set',
      'istiodRemote.injectionCABundle=Q0E=',
    ]);
    expect(remote.map((w) => w.clientConfig)).toEqual(
      remote.map(() => ({ url: 'https://127.0.0.1:41017/inject', caBundle: 'Q0E=' })),
    );
  });
});

describe('charts/istiod: the validating webhook', () => {
  it("validates this revision's labelled config through the Service, or at base.validationURL", () => {
    const [webhook, ...others] = webhooksOf('ValidatingWebhookConfiguration');
    expect(others).toEqual([]);
    expect(webhook!.name).toBe('rev.validation.istio.io');
    expect(webhook!.clientConfig).toEqual({
      service: { name: 'istiod', namespace: 'istio-system', path: '/validate', port: 443 },
    });
    expect(webhook!.failurePolicy).toBe('Ignore');
    expect(matchesLabelSelector(webhook!.objectSelector, { 'istio.io/rev': 'default' })).toBe(true);
    expect(matchesLabelSelector(webhook!.objectSelector, {})).toBe(false);
    const outside = webhooksOf('ValidatingWebhookConfiguration', [
      '--set',
      'base.validationURL=https://127.0.0.1:41017/validate',
    ]);
    expect(outside[0]!.clientConfig).toEqual({ url: 'https://127.0.0.1:41017/validate' });
    const canary = webhooksOf('ValidatingWebhookConfiguration', ['--set', 'revision=canary']);
    expect(matchesLabelSelector(canary[0]!.objectSelector, { 'istio.io/rev': 'canary' })).toBe(true);
  });
});
