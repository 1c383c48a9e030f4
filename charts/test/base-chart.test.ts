import { describe, expect, it } from 'vitest';

import { only, render, type KubeObject } from './helm.js';

interface ValidatingWebhookConfiguration {
  webhooks: {
    name: string;
    clientConfig: { url?: string; service?: { name: string; namespace: string; path: string; port: number } };
    failurePolicy: string;
    rules: { apiGroups: string[]; operations: string[] }[];
    objectSelector?: unknown;
  }[];
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

describe('charts/base', () => {
  it('renders the Istio CRDs, kept on uninstall', () => {
    const crds = render('base')
      .filter((doc) => doc.kind === 'CustomResourceDefinition')
      .map((crd) => crd as KubeObject & { spec: { versions: { name: string; storage: boolean }[] } });
    expect(crds.map((crd) => crd.metadata.name).sort()).toEqual([
      'authorizationpolicies.security.istio.io',
      'destinationrules.networking.istio.io',
      'envoyfilters.networking.istio.io',
      'gateways.networking.istio.io',
      'peerauthentications.security.istio.io',
      'proxyconfigs.networking.istio.io',
      'requestauthentications.security.istio.io',
      'serviceentries.networking.istio.io',
      'sidecars.networking.istio.io',
      'telemetries.telemetry.istio.io',
      'trafficextensions.extensions.istio.io',
      'virtualservices.networking.istio.io',
      'wasmplugins.extensions.istio.io',
      'workloadentries.networking.istio.io',
      'workloadgroups.networking.istio.io',
    ]);
    const virtualService = crds.find((crd) => crd.metadata.name === 'virtualservices.networking.istio.io');
    expect(virtualService?.spec.versions.map((v) => `${v.name}${v.storage ? '*' : ''}`)).toEqual([
      'v1*',
      'v1beta1',
      'v1alpha3',
    ]);
    expect(crds.every((crd) => crd.metadata.annotations?.['helm.sh/resource-policy'] === 'keep')).toBe(true);
  });

  it("creates Istio's reader identity, bound to a read-only ClusterRole in the istio namespace's name", () => {
    const objects = render('base');
    const account = only(objects, 'ServiceAccount', 'istio-reader-service-account');
    expect(account.metadata.namespace).toBe('istio-system');
    const role = only<{ rules: Rule[] }>(objects, 'ClusterRole', 'istio-reader-clusterrole-istio-system');
    const writes = role.rules.filter((r) => r.verbs.some((v) => !['list', 'watch', 'get'].includes(v)));
    expect(writes).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    ]);
    const binding = only<{ subjects: unknown[]; roleRef: { name: string } }>(
      objects,
      'ClusterRoleBinding',
      'istio-reader-clusterrole-istio-system',
    );
    expect(binding.roleRef.name).toBe('istio-reader-clusterrole-istio-system');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'istio-reader-service-account', namespace: 'istio-system' },
    ]);
  });

  it('validates every Istio group for the default revision through the istiod Service, failing open until istiod patches it', () => {
    const validator = only<ValidatingWebhookConfiguration>(
      render('base'),
      'ValidatingWebhookConfiguration',
      'istiod-default-validator',
    );
    const [webhook] = validator.webhooks;
    expect(webhook!.name).toBe('validation.istio.io');
    expect(webhook!.clientConfig).toEqual({
      service: { name: 'istiod', namespace: 'istio-system', path: '/validate', port: 443 },
    });
    expect(webhook!.failurePolicy).toBe('Ignore');
    expect(webhook!.objectSelector).toBeUndefined();
    expect(webhook!.rules[0]!.apiGroups.sort()).toEqual([
      'extensions.istio.io',
      'networking.istio.io',
      'security.istio.io',
      'telemetry.istio.io',
    ]);
  });

  it('points the default validator at istiod-<defaultRevision>, or at base.validationURL for an istiod outside the cluster', () => {
    const clientConfig = (args: string[]) =>
      only<ValidatingWebhookConfiguration>(render('base', args), 'ValidatingWebhookConfiguration')
        .webhooks[0]!.clientConfig;
    expect(clientConfig(['--set', 'defaultRevision=canary']).service?.name).toBe('istiod-canary');
    expect(clientConfig(['--set', 'base.validationURL=https://127.0.0.1:15017/validate'])).toEqual({
      url: 'https://127.0.0.1:15017/validate',
    });
    const withBundle = only<ValidatingWebhookConfiguration>(
      render('base', ['--set', 'base.validationCABundle=Q0E=']),
      'ValidatingWebhookConfiguration',
    ).webhooks[0]!;
    expect(withBundle.failurePolicy).toBe('Fail');
    expect(withBundle.clientConfig).toMatchObject({ caBundle: 'Q0E=' });
    expect(
      render('base', ['--set', 'defaultRevision=']).some((o) => o.kind === 'ValidatingWebhookConfiguration'),
    ).toBe(false);
  });
});
