import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { parseProxyOptions, UsageError, type ProxyOptions } from '../options.js';
import { parsePrometheusAnnotations, type AgentStatusConfig } from './agent-status-server.js';
import { parseAppProbers } from './app-probers.js';
import { parseIstioAgentFlags } from './istio-agent-flags.js';
import { drainDurationFlag, parseProxyConfigEnv } from './proxy-config-env.js';

/**
 * `mesh-proxy proxy sidecar|router ...`: the proxy started as Istio's injected `istio-proxy` container
 * (a sidecar, or a gateway from the `gateway` template), from that container's arguments and
 * environment alone — the identity from the downward API (POD_NAME, POD_NAMESPACE, INSTANCE_IP,
 * SERVICE_ACCOUNT), istiod from PROXY_CONFIG's `discoveryAddress` and CA_ADDR, node metadata from
 * ISTIO_META_*, and the files the pod mounts, at pilot-agent's paths relative to the working directory
 * (`/` in the image) as pilot-agent reads them.
 */

/** pilot-agent's `constants.ThirdPartyJwtPath`: the projected token (audience `istio-ca`). */
export const ISTIO_TOKEN_PATH = './var/run/secrets/tokens/istio-token';
/** pilot-agent's `CitadelCACertPath/root-cert.pem`: the `istio-ca-root-cert` ConfigMap's root. */
export const ISTIO_ROOT_CERT_PATH = './var/run/secrets/istio/root-cert.pem';
/** The pod's labels from the downward API (`istio-podinfo`), as pilot-agent reads them. */
export const POD_LABELS_PATH = './etc/istio/pod/labels';

/**
 * The downward API's `labels` file: one `key="value"` a line, the value quoted as Go's %q does (which
 * JSON reads for every character a label may hold). Missing when the pod mounts no podinfo.
 */
export function readPodLabels(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  const labels: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    try {
      if (eq <= 0) throw new Error('no "="');
      labels[line.slice(0, eq)] = JSON.parse(line.slice(eq + 1)) as string;
    } catch {
      throw new UsageError(`${file}: "${line}" is not a downward-API label line key="value"`);
    }
  }
  return labels;
}

/** The proxy's options, and pilot-agent's status server on ProxyConfig `statusPort`. */
export interface KubeAgentOptions extends ProxyOptions {
  agentStatus: AgentStatusConfig;
  /** PROXY_CONFIG fields set but not applied by mesh-proxy, to be logged once. */
  proxyConfigUnapplied: string[];
}

/**
 * The name pilot-agent verifies istiod's certificate against: ISTIOD_SAN when set, else the host of the
 * address it dials (so a revisioned `istiod-<rev>.<ns>.svc:15012` is checked as that name, an IP as that
 * IP), with `localhost` (a port-forward) meaning `istiod.<istioNamespace>.svc`.
 */
export function istiodServerName(address: string, san: string | undefined, istioNamespace: string): string {
  if (san) return san;
  const host = /^\[([^\]]+)\](?::\d+)?$/.exec(address)?.[1] ?? address.replace(/:\d+$/, '');
  return host === 'localhost' ? `istiod.${istioNamespace}.svc` : host;
}

export function parseKubeAgentOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): KubeAgentOptions {
  const flags = parseIstioAgentFlags(argv);
  const provider = env['PILOT_CERT_PROVIDER'] ?? 'istiod';
  if (provider !== 'istiod')
    throw new UsageError(
      `PILOT_CERT_PROVIDER: "${provider}" is not implemented; mesh-proxy trusts istiod's own root ("istiod")`,
    );
  const { config: proxyConfig, unapplied } = parseProxyConfigEnv(env['PROXY_CONFIG']);
  const discovery = proxyConfig.discoveryAddress ?? 'istiod.istio-system.svc:15012';
  const caAddress = env['CA_ADDR'] || discovery;
  // pilot-agent talks to a CA on 15010 in plaintext; a bearer token must not cross the network so.
  if (caAddress.endsWith(':15010'))
    throw new UsageError(
      `CA_ADDR: ${caAddress} is istiod's plaintext port; mesh-proxy sends its token to the CA only over TLS (15012)`,
    );
  const labels = readPodLabels(resolve(cwd, POD_LABELS_PATH));
  const options = parseProxyOptions(
    [
      ...['--xds-address', discovery],
      ...(proxyConfig.controlPlaneAuthPolicy === 'NONE' ? [] : ['--xds-tls']),
      ...['--ca-address', caAddress],
      // CA_ROOT_CA is pilot-agent's override of the CA's root.
      ...['--ca-root-cert', resolve(cwd, env['CA_ROOT_CA'] || ISTIO_ROOT_CERT_PATH)],
      ...['--token-file', resolve(cwd, ISTIO_TOKEN_PATH)],
      // A gateway (`proxy router`, the gateway template) captures nothing: it binds istiod's listeners.
      ...['--capture', flags.proxyType === 'router' ? 'router' : 'transparent'],
      ...['--admin-port', String(proxyConfig.proxyAdminPort ?? 15000)],
      ...['--log-level', flags.logLevel],
      // The SIGTERM drain (and the status port's /drain) lasts as pilot-agent's termination drain.
      ...drainDurationFlag(proxyConfig),
      ...(labels === undefined
        ? []
        : [
            '--labels',
            Object.entries(labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(','),
          ]),
      // mesh-proxy's own flags last: they win (e.g. --bind-address beside a cluster, --ready-fd).
      ...flags.ownArgs,
    ],
    env,
  );
  const statusPort = proxyConfig.statusPort ?? 15020;
  const appScrape = parsePrometheusAnnotations(env['ISTIO_PROMETHEUS_ANNOTATIONS'], statusPort);
  return {
    ...options,
    proxyConfigUnapplied: unapplied,
    dnsDomain: flags.domain ?? `${options.namespace}.svc.cluster.local`,
    istiodServerNames: {
      xds: istiodServerName(options.xdsAddress, env['ISTIOD_SAN'], options.istioNamespace),
      ca: istiodServerName(options.caAddress, env['ISTIOD_SAN'], options.istioNamespace),
    },
    agentStatus: {
      host: options.bindAddress,
      port: statusPort,
      probers: parseAppProbers(env['ISTIO_KUBE_APP_PROBERS']),
      // pilot-agent probes the app on the pod's IP, or on localhost when told to (its legacy mode).
      appHost:
        env['REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION'] === 'true' ? '127.0.0.1' : options.instanceIp,
      ...(appScrape ? { appScrape } : {}),
    },
  };
}
