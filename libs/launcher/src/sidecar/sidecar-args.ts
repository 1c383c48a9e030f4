/** Where an application really listens, behind the port its sidecar owns (explicit mode). */
export interface AppEndpoint {
  host: string;
  port: number;
}

/**
 * One workload's sidecar as the launcher starts it, typed; `sidecarArgs` is the one place these
 * become `mesh-proxy` flags, so a new flag is added here once for `meshctl local`, the e2e tests and
 * the benchmarks.
 */
export interface SidecarOptions {
  podName: string;
  namespace: string;
  serviceAccount: string;
  /** The workload's address: istiod registers it as the endpoint; explicit mode binds every listener there. */
  instanceIp: string;
  labels: Readonly<Record<string, string>>;
  trustDomain?: string;
  /**
   * istiod's TLS port (`host:port`): xDS over mTLS (endpoints register only there), the CA and
   * certificate renewals. Bearer tokens never cross the network in clear text.
   */
  istiodAddress: string;
  /** xDS from another server (a test's own ADS server), in plaintext; istiod stays the CA. */
  xdsAddress?: string;
  /** istiod's root, which the first certificate request trusts (`--ca-root-cert`). */
  caRootCert: string;
  /** The join token the CA checks. */
  tokenFile: string;
  /**
   * `transparent`: iptables sends the pod's traffic to the proxy. `explicit`: the sidecar owns each
   * application port on `instanceIp` and forwards to where the app really listens.
   */
  capture: { mode: 'transparent' } | { mode: 'explicit'; inbound?: Readonly<Record<number, AppEndpoint>> };
  /**
   * The admin port, on 127.0.0.1. Explicit mode: by default `0`, a free port the sidecar reports when
   * ready (`ready.adminPort`), since every explicit-mode sidecar shares 127.0.0.1. Transparent mode:
   * Istio's 15000 in the pod's own loopback.
   */
  adminPort?: number;
  /** How long SIGTERM lets connections finish (mesh-proxy's default: 5 s). */
  drainMs?: number;
  logLevel?: string;
  /** Flags after the typed ones, e.g. a test of one mesh-proxy flag. */
  extraArgs?: readonly string[];
}

export function sidecarArgs(options: SidecarOptions): string[] {
  const labels = Object.entries(options.labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const { capture } = options;
  return [
    ...['--pod-name', options.podName, '--namespace', options.namespace],
    ...['--service-account', options.serviceAccount],
    ...['--instance-ip', options.instanceIp, '--labels', labels],
    ...(options.trustDomain === undefined ? [] : ['--trust-domain', options.trustDomain]),
    ...(options.xdsAddress === undefined
      ? ['--xds-address', options.istiodAddress, '--xds-tls']
      : ['--xds-address', options.xdsAddress]),
    ...['--ca-address', options.istiodAddress, '--ca-root-cert', options.caRootCert],
    ...['--token-file', options.tokenFile],
    ...['--capture', capture.mode],
    ...(capture.mode === 'explicit'
      ? Object.entries(capture.inbound ?? {}).flatMap(([port, app]) => [
          '--inbound',
          `${port}=${app.host}:${app.port}`,
        ])
      : []),
    ...adminPortArgs(options),
    ...(options.drainMs === undefined ? [] : ['--drain-duration', `${options.drainMs}ms`]),
    ...(options.logLevel === undefined ? [] : ['--log-level', options.logLevel]),
    ...(options.extraArgs ?? []),
  ];
}

function adminPortArgs(options: SidecarOptions): string[] {
  const port = options.adminPort ?? (options.capture.mode === 'explicit' ? 0 : undefined);
  return port === undefined ? [] : ['--admin-port', String(port)];
}
