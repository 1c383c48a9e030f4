import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import {
  IGNORED_NAMESPACES,
  isAlreadyExists,
  isNotFound,
  ROOT_CERT_CONFIGMAP,
  ROOT_CERT_KEY,
} from '@mesh/kube';
import type { ConfigEvent, ConfigStore } from '@mesh/policy';
import type { Logger } from 'pino';

import type { PermissionProblems } from './permission-problems.js';

/**
 * Istio's namespace controller: the `istio-ca-root-cert` ConfigMap (key `root-cert.pem`, the mesh
 * root every sidecar mounts) in every namespace but Kubernetes' own, created when a namespace
 * appears, put back when someone edits or deletes it, and rewritten when the root changes. Driven
 * by the config store's Namespace and ConfigMap events, with a periodic resync for anything missed.
 */

/** Istio's label on the ConfigMaps it owns. */
const OWNED_LABEL = { 'istio.io/config': 'true' };

export class RootCertConfigMaps {
  private readonly pending = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly options: {
      store: ConfigStore;
      core: CoreV1Api;
      rootPem: () => string;
      permissions: PermissionProblems;
      logger: Logger;
    },
  ) {
    this.unsubscribe = options.store.subscribe((event) => this.onEvent(event));
  }

  private onEvent(event: ConfigEvent): void {
    const c = event.config;
    if (c.kind === 'Namespace' && event.type === 'add') this.ensure(c.name);
    else if (c.kind === 'ConfigMap' && c.name === ROOT_CERT_CONFIGMAP && event.type !== 'add')
      this.ensure(c.namespace);
  }

  /** Every namespace the store knows, now. */
  resync(): void {
    for (const namespace of this.options.store.list('Namespace')) this.ensure(namespace.name);
  }

  private ensure(namespace: string): void {
    if (IGNORED_NAMESPACES.includes(namespace) || this.pending.has(namespace)) return;
    const stored = this.options.store.get('Namespace', '', namespace);
    if ((stored?.object['status'] as { phase?: string } | undefined)?.phase === 'Terminating') return;
    this.pending.add(namespace);
    this.write(namespace)
      .catch((err: Error) =>
        this.options.logger.warn(
          { namespace, err: err.message },
          `cannot write ${ROOT_CERT_CONFIGMAP}; retried at the next resync`,
        ),
      )
      .finally(() => this.pending.delete(namespace));
  }

  private async write(namespace: string): Promise<void> {
    const { core, permissions } = this.options;
    const root = this.options.rootPem();
    const existing = this.options.store.get('ConfigMap', namespace, ROOT_CERT_CONFIGMAP);
    const data = (existing?.object['data'] ?? {}) as Record<string, string>;
    if (existing && data[ROOT_CERT_KEY] === root) return;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ROOT_CERT_CONFIGMAP, namespace, labels: OWNED_LABEL },
      data: { [ROOT_CERT_KEY]: root },
    };
    if (existing === undefined) {
      try {
        await core.createNamespacedConfigMap({ namespace, body });
        permissions.record(`create configmaps in namespace ${namespace}`);
        this.options.logger.info({ namespace }, `${ROOT_CERT_CONFIGMAP} created`);
        return;
      } catch (err) {
        if (permissions.record(`create configmaps in namespace ${namespace}`, err)) return;
        // The store had not seen it yet: fall through to the update.
        if (!isAlreadyExists(err)) throw err;
      }
    }
    try {
      await core.replaceNamespacedConfigMap({ name: ROOT_CERT_CONFIGMAP, namespace, body });
      permissions.record(`update configmaps in namespace ${namespace}`);
      this.options.logger.info({ namespace }, `${ROOT_CERT_CONFIGMAP} updated to the current root`);
    } catch (err) {
      if (permissions.record(`update configmaps in namespace ${namespace}`, err)) return;
      if (!isNotFound(err)) throw err;
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
