import type { KubernetesObject } from '@kubernetes/client-node';

import type { ClusterConnection } from './cluster-connection.js';
import type { Component } from './install-values.js';
import type { KubeObject } from './render-manifests.js';

/**
 * How install marks what it creates, so that uninstall removes exactly that: istioctl's labels.
 * Every object gets `install.operator.istio.io/owning-resource` (istioctl's default IstioOperator
 * name, `installed-state`) and `operator.istio.io/component`; per-revision objects carry the charts'
 * `istio.io/rev`. The Istio namespace gets the labels only when install created it.
 */

export const OWNING_RESOURCE_LABEL = 'install.operator.istio.io/owning-resource';
export const COMPONENT_LABEL = 'operator.istio.io/component';
export const REVISION_LABEL = 'istio.io/rev';
export const OWNING_RESOURCE = 'installed-state';

/**
 * Every kind the charts render, cluster-scoped or not, in the order install applies them (what others
 * need first) — uninstall deletes in reverse. A test renders every profile and checks that this list
 * has all of their kinds.
 */
export const INSTALLED_KINDS = [
  { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    resource: 'customresourcedefinitions',
    namespaced: false,
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    resource: 'clusterroles',
    namespaced: false,
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    resource: 'clusterrolebindings',
    namespaced: false,
  },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', resource: 'roles', namespaced: true },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    resource: 'rolebindings',
    namespaced: true,
  },
  { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    resource: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    resource: 'validatingwebhookconfigurations',
    namespaced: false,
  },
] as const;

export const kindOrder = (kind: string) => INSTALLED_KINDS.findIndex((k) => k.kind === kind);

/** The object with install's labels added (a copy). */
export function withInstallLabels(object: KubeObject, component: Component): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: {
        ...object.metadata.labels,
        [OWNING_RESOURCE_LABEL]: OWNING_RESOURCE,
        [COMPONENT_LABEL]: component,
      },
    },
  };
}

/** Selects what uninstall removes: everything install made (`purge`), or one revision's components. */
export function uninstallSelector(
  options: { purge: true } | { purge: false; revisionLabel: string },
): string {
  if (options.purge) return OWNING_RESOURCE_LABEL;
  return `${OWNING_RESOURCE_LABEL},${COMPONENT_LABEL} in (Pilot,IngressGateways),${REVISION_LABEL}=${options.revisionLabel}`;
}

/** Every object of the installed kinds that matches `labelSelector`, in apply order. */
export async function listInstalled(
  cluster: ClusterConnection,
  labelSelector: string,
): Promise<KubernetesObject[]> {
  const found: KubernetesObject[] = [];
  for (const { apiVersion, kind } of INSTALLED_KINDS) {
    try {
      const list = await cluster.objects.list(
        apiVersion,
        kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      for (const item of list.items) found.push({ ...item, apiVersion, kind });
    } catch (err) {
      throw cluster.error(err, `list ${kind} objects (${labelSelector})`);
    }
  }
  return found;
}
