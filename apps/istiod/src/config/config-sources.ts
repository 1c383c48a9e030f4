import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigStore, MESH_WATCHED_KINDS } from '@mesh/kube';
import { CompositeConfigStore, type ConfigStore } from '@mesh/policy';
import type { Logger } from 'pino';

import type { IstiodOptions } from '../options.js';
import { FileConfigStore } from './file-config-store.js';

export interface ConfigSources {
  /** Everything istiod reads, as one store. */
  store: ConfigStore;
  close(): Promise<void>;
}

/**
 * The config directory always; a Kubernetes cluster too when istiod is given a kubeconfig or runs in
 * a pod (Istio kinds from their CRDs, Services, Pods, ... across namespaces). The directory wins when
 * both define the same object.
 */
export async function startConfigSources(options: IstiodOptions, logger: Logger): Promise<ConfigSources> {
  const files = new FileConfigStore(options.configDir, logger, { stateDir: options.stateDir });
  await files.start();
  if (!options.kubeconfig && !process.env['KUBERNETES_SERVICE_HOST']) {
    return { store: files, close: async () => files.close() };
  }
  const kubeConfig = new KubeConfig();
  if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
  else kubeConfig.loadFromCluster();
  const cluster = new KubeConfigStore(kubeConfig, {
    kinds: MESH_WATCHED_KINDS,
    onError: (kind, error, retryInMs) =>
      logger.warn({ kind, err: error.message, retryInMs }, 'Kubernetes list/watch failed; retrying'),
  });
  await cluster.start();
  logger.info(
    { server: kubeConfig.getCurrentCluster()?.server, synced: cluster.status().synced },
    'reading config from Kubernetes',
  );
  return {
    store: new CompositeConfigStore([files, cluster]),
    close: async () => {
      files.close();
      await cluster.stop();
    },
  };
}
