/**
 * istiod as the launcher starts it, typed; `istiodArgs` is the one place these become flags. A
 * launched istiod is on loopback with free ports unless told otherwise (tests, benchmarks and the
 * local platform run several side by side); istiod's own defaults apply to everything left out.
 */
export interface IstiodOptions {
  configDir: string;
  stateDir: string;
  /** A plug-in CA directory (Istio's `cacerts` layout). */
  caDir?: string;
  /** Where the TLS port (mTLS xDS, CA) and the monitoring port listen; default 127.0.0.1. */
  listenAddress?: string;
  /** Ports; 0 (the default) asks for a free one, reported once istiod serves. */
  xdsPort?: number;
  secureXdsPort?: number;
  monitoringPort?: number;
  trustDomain?: string;
  /** Istio's MeshConfig YAML, read at start and watched. */
  meshConfigFile?: string;
  /** A cluster to read config from and to check service-account tokens with (TokenReview). */
  kubeconfig?: string;
  /**
   * The webhook port (`/inject`, `/validate`). istiod opens it by default only for a cluster; a
   * launched one with a kubeconfig gets a free port unless this names one, so several run side by side.
   */
  webhookPort?: number;
  /** Quiet period after a config change before the push. */
  pushDebounceMs?: number;
  logLevel?: string;
}

export function istiodArgs(options: IstiodOptions): string[] {
  return [
    ...['--config-dir', options.configDir, '--state-dir', options.stateDir],
    ...(options.caDir === undefined ? [] : ['--ca-dir', options.caDir]),
    ...['--listen-address', options.listenAddress ?? '127.0.0.1'],
    ...['--xds-port', String(options.xdsPort ?? 0)],
    ...['--secure-xds-port', String(options.secureXdsPort ?? 0)],
    ...['--monitoring-port', String(options.monitoringPort ?? 0)],
    ...(options.trustDomain === undefined ? [] : ['--trust-domain', options.trustDomain]),
    ...(options.meshConfigFile === undefined ? [] : ['--mesh-config', options.meshConfigFile]),
    ...(options.kubeconfig === undefined ? [] : ['--kubeconfig', options.kubeconfig]),
    ...(options.webhookPort === undefined && options.kubeconfig === undefined
      ? []
      : ['--webhook-port', String(options.webhookPort ?? 0)]),
    ...(options.pushDebounceMs === undefined ? [] : ['--push-debounce', `${options.pushDebounceMs}ms`]),
    ...(options.logLevel === undefined ? [] : ['--log-level', options.logLevel]),
  ];
}
