import {
  detectNativeSidecars,
  NATIVE_SIDECARS_ENV,
  parseInjectionValues,
  parseInjectorConfig,
  parseNativeSidecarMode,
  type InjectionValues,
  type InjectorConfig,
  type NativeSidecarMode,
  type NodeVersion,
} from '@mesh/kube';
import type { ConfigStore, ResolvedMeshConfig } from '@mesh/policy';
import type { Logger } from 'pino';

/**
 * What the `/inject` webhook injects with: the `istio-sidecar-injector[-<rev>]` ConfigMap of istiod's
 * namespace (`config` and `values`, Istio's keys; Istio's defaults while there is none), MeshConfig,
 * and istiod's own feature flags (ENABLE_NATIVE_SIDECARS, ENABLE_CLUSTER_TRUST_BUNDLE_API), which
 * win over the chart's `pilot.env` copy of them. An invalid ConfigMap is logged and the last good
 * settings stay in force: a typo must not break every pod creation in the cluster.
 */

/** istiod feature flags the injected pod depends on. */
const ENV_FLAGS = [NATIVE_SIDECARS_ENV, 'ENABLE_CLUSTER_TRUST_BUNDLE_API'];
/** How long the node versions native-sidecar detection read stay fresh. */
const NODE_CACHE_MS = 60_000;

export interface InjectorSettingsOptions {
  store: ConfigStore;
  meshConfig: () => ResolvedMeshConfig;
  istioNamespace: string;
  revision: string;
  /** Lists the cluster's nodes (undefined without a cluster); a failure means "unknown". */
  listNodes?: () => Promise<NodeVersion[]>;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
}

export interface CurrentSettings {
  config: InjectorConfig;
  values: InjectionValues;
  meshConfig: ResolvedMeshConfig;
  nativeSidecars: boolean;
}

export class InjectorSettings {
  readonly configMapName: string;
  private config: InjectorConfig = parseInjectorConfig(undefined);
  private values: InjectionValues = parseInjectionValues(undefined);
  private readonly mode: NativeSidecarMode;
  private readonly flags: Record<string, string>;
  private loadedVersion: string | undefined;
  private nodes: { at: number; list: NodeVersion[] | undefined } | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: InjectorSettingsOptions) {
    const env = options.env ?? process.env;
    const rev = options.revision === '' || options.revision === 'default' ? '' : `-${options.revision}`;
    this.configMapName = `istio-sidecar-injector${rev}`;
    this.flags = Object.fromEntries(ENV_FLAGS.flatMap((f) => (env[f] === undefined ? [] : [[f, env[f]]])));
    this.mode = parseNativeSidecarMode(this.flags[NATIVE_SIDECARS_ENV]);
    this.reload();
    this.unsubscribe = options.store.subscribe((event) => {
      const c = event.config;
      if (c.kind === 'ConfigMap' && c.namespace === options.istioNamespace && c.name === this.configMapName)
        this.reload();
    });
  }

  /** Re-reads the ConfigMap; keeps the settings in force when it is invalid. */
  private reload(): void {
    const stored = this.options.store.get('ConfigMap', this.options.istioNamespace, this.configMapName);
    if (stored?.resourceVersion === this.loadedVersion) return;
    const data = (stored?.object['data'] ?? {}) as Record<string, string>;
    try {
      const config = parseInjectorConfig(data['config']);
      const values = parseInjectionValues(data['values']);
      this.config = config;
      this.values = values;
      this.loadedVersion = stored?.resourceVersion;
      if (stored)
        this.options.logger.info(
          { configMap: `${stored.namespace}/${stored.name}` },
          'injection settings loaded',
        );
    } catch (err) {
      this.options.logger.error(
        { configMap: `${this.options.istioNamespace}/${this.configMapName}`, err: (err as Error).message },
        'invalid injection settings; the last good ones stay in force',
      );
    }
  }

  private async nodeVersions(): Promise<NodeVersion[] | undefined> {
    if (this.mode !== 'auto' || this.options.listNodes === undefined) return undefined;
    if (this.nodes && Date.now() - this.nodes.at < NODE_CACHE_MS) return this.nodes.list;
    let list: NodeVersion[] | undefined;
    try {
      list = await this.options.listNodes();
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'cannot list nodes; native sidecars off');
    }
    this.nodes = { at: Date.now(), list };
    return list;
  }

  async current(podNodeName?: string): Promise<CurrentSettings> {
    const nodes = await this.nodeVersions();
    return {
      config: this.config,
      values: { ...this.values, pilotEnv: { ...this.values.pilotEnv, ...this.flags } },
      meshConfig: this.options.meshConfig(),
      nativeSidecars: detectNativeSidecars(this.mode, nodes, podNodeName),
    };
  }

  close(): void {
    this.unsubscribe();
  }
}
