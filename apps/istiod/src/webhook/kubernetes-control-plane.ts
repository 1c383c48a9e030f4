import { KubeConfig } from '@kubernetes/client-node';
import type { ConfigStore, ResolvedMeshConfig } from '@mesh/policy';
import type { Logger } from 'pino';

import { ClusterSync } from '../kube-controllers/cluster-sync.js';
import type { IstiodOptions } from '../options.js';
import { admissionHandlers } from './admission-handlers.js';
import { InjectorSettings } from './injector-settings.js';
import { startWebhookServer, type ServingMaterial, type WebhookServer } from './webhook-server.js';

/**
 * istiod's part in a Kubernetes cluster, composed: the webhook server (`/inject`, `/validate`) when
 * `--webhook-port` is on, and — when istiod works for a cluster — the sync of the mesh root into
 * namespaces, the ClusterTrustBundle and the webhook configurations. Its problems (missing
 * permissions) are notes for `/ready`.
 */

export interface KubernetesControlPlane {
  webhookPort: number | null;
  /** Lines `/ready` adds: missing permissions, by name. */
  readinessNotes(): string[];
  updateCertificate(material: ServingMaterial): void;
  /** The root changed (rotation, plug-in reload): the ConfigMaps, bundle and caBundles follow now. */
  rootChanged(): void;
  close(): Promise<void>;
}

function clusterConfig(options: IstiodOptions): KubeConfig | undefined {
  if (!options.kubeconfig && !process.env['KUBERNETES_SERVICE_HOST']) return undefined;
  const kubeConfig = new KubeConfig();
  if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}

export async function startKubernetesControlPlane(params: {
  options: IstiodOptions;
  store: ConfigStore;
  meshConfig: () => ResolvedMeshConfig;
  rootPem: () => string;
  serving: ServingMaterial;
  logger: Logger;
}): Promise<KubernetesControlPlane> {
  const { options, logger } = params;
  const kubeConfig = clusterConfig(options);
  const sync = kubeConfig
    ? new ClusterSync({
        kubeConfig,
        store: params.store,
        rootPem: params.rootPem,
        istioNamespace: options.istioNamespace,
        revision: options.revision,
        clusterTrustBundle: process.env['ENABLE_CLUSTER_TRUST_BUNDLE_API'] === 'true',
        logger,
      })
    : undefined;
  const settings = new InjectorSettings({
    store: params.store,
    meshConfig: params.meshConfig,
    istioNamespace: options.istioNamespace,
    revision: options.revision,
    ...(sync ? { listNodes: () => sync.listNodes() } : {}),
    logger,
  });
  let webhook: WebhookServer | undefined;
  try {
    if (options.webhookPort !== null)
      webhook = await startWebhookServer({
        host: options.listenAddress,
        port: options.webhookPort,
        material: params.serving,
        handlers: admissionHandlers(settings, logger),
        logger,
      });
  } catch (err) {
    settings.close();
    throw err;
  }
  sync?.start();
  return {
    webhookPort: webhook?.port ?? null,
    readinessNotes: () => sync?.permissions.list() ?? [],
    updateCertificate: (material) => webhook?.updateCertificate(material),
    rootChanged: () => sync?.refresh(),
    close: async () => {
      settings.close();
      await sync?.close();
      await webhook?.close();
    },
  };
}
