import {
  AdmissionregistrationV1Api,
  CertificatesV1beta1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { NodeVersion } from '@mesh/kube';
import type { ConfigStore } from '@mesh/policy';
import type { Logger } from 'pino';

import { syncClusterTrustBundle } from './cluster-trust-bundle.js';
import { PermissionProblems } from './permission-problems.js';
import { RootCertConfigMaps } from './root-cert-configmaps.js';
import { ValidationReadiness } from './validation-readiness.js';
import { syncWebhookCaBundles } from './webhook-ca-bundle.js';

/**
 * What istiod keeps true in the cluster it runs for, besides reading its config: the mesh root in
 * every namespace (ConfigMaps, and the ClusterTrustBundle when enabled) and in its webhook
 * configurations' `caBundle`, and its validating webhooks failing closed once validation works.
 * Each step runs at start, on a short period, and whenever `refresh()` is called (a root rotation); a
 * failing step is logged (a missing permission by name) and retried, never fatal.
 */

/** Webhook configurations and the ClusterTrustBundle are checked this often (one `get` each). */
const SYNC_INTERVAL_MS = 5_000;
/** Every namespace's ConfigMap is re-checked this often (events cover the common cases in between). */
const NAMESPACE_RESYNC_EVERY = 12;

export interface ClusterSyncOptions {
  kubeConfig: KubeConfig;
  store: ConfigStore;
  rootPem: () => string;
  istioNamespace: string;
  revision: string;
  clusterTrustBundle: boolean;
  logger: Logger;
}

export class ClusterSync {
  readonly permissions: PermissionProblems;
  private readonly core: CoreV1Api;
  private readonly configMaps: RootCertConfigMaps;
  private readonly validation: ValidationReadiness;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private ticks = 0;

  constructor(private readonly options: ClusterSyncOptions) {
    this.permissions = new PermissionProblems(options.logger);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.configMaps = new RootCertConfigMaps({
      store: options.store,
      core: this.core,
      rootPem: options.rootPem,
      permissions: this.permissions,
      logger: options.logger,
    });
    this.validation = new ValidationReadiness({
      custom: options.kubeConfig.makeApiClient(CustomObjectsApi),
      istioNamespace: options.istioNamespace,
      revision: options.revision,
      permissions: this.permissions,
      logger: options.logger,
    });
  }

  start(): void {
    this.refresh();
    this.timer = setInterval(() => this.tick(), SYNC_INTERVAL_MS).unref();
  }

  /** Everything now (at start, and when the root changed). */
  refresh(): void {
    this.configMaps.resync();
    this.tick();
  }

  private tick(): void {
    if (++this.ticks % NAMESPACE_RESYNC_EVERY === 0) this.configMaps.resync();
    if (this.running) return;
    this.running = this.syncOnce().finally(() => (this.running = undefined));
  }

  private async syncOnce(): Promise<void> {
    const { kubeConfig, logger } = this.options;
    const rootPem = this.options.rootPem();
    const step = async (what: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, `${what} failed; retrying`);
      }
    };
    await step('webhook caBundle sync', () =>
      syncWebhookCaBundles({
        admission: kubeConfig.makeApiClient(AdmissionregistrationV1Api),
        istioNamespace: this.options.istioNamespace,
        revision: this.options.revision,
        rootPem,
        permissions: this.permissions,
        failClosed: () => this.validation.check(),
        logger,
      }),
    );
    if (this.options.clusterTrustBundle)
      await step('ClusterTrustBundle sync', () =>
        syncClusterTrustBundle({
          certificates: kubeConfig.makeApiClient(CertificatesV1beta1Api),
          rootPem,
          permissions: this.permissions,
          logger,
        }),
      );
  }

  /** The nodes' kubelet versions (native-sidecar detection); a refusal is a reported permission. */
  async listNodes(): Promise<NodeVersion[]> {
    try {
      const nodes = await this.core.listNode();
      this.permissions.record('list nodes');
      return nodes.items.map((n) => ({
        name: n.metadata?.name ?? '',
        kubeletVersion: n.status?.nodeInfo?.kubeletVersion,
      }));
    } catch (err) {
      this.permissions.record('list nodes', err);
      throw err;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.configMaps.close();
    await this.running;
  }
}
