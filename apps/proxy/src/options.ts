import { parseArgs } from 'node:util';

import { parseReadyFd } from '@mesh/launcher/readiness';

import {
  defaultConnectionLimit,
  DOWNSTREAM_LIMIT_DEFAULTS,
  type DownstreamLimits,
} from './listeners/downstream-limits.js';

/**
 * Everything the proxy starts with. In Kubernetes the values come from the environment the injected
 * sidecar container gets (POD_NAME, POD_NAMESPACE, SERVICE_ACCOUNT, INSTANCE_IP, `ISTIO_META_*`, the
 * projected token); on the local platform the same values come as flags. Flags win over environment.
 */
export interface ProxyOptions {
  podName: string;
  namespace: string;
  serviceAccount: string;
  instanceIp: string;
  /** The DNS domain of the xDS node id (pilot-agent's `--domain`); default `<namespace>.svc.cluster.local`. */
  dnsDomain?: string;
  labels: Record<string, string>;
  trustDomain: string;
  /** istiod's ADS address; `:15012` (or `xdsTls`) means mTLS with the workload certificate. */
  xdsAddress: string;
  xdsTls: boolean;
  xdsProtocol: 'delta' | 'sotw';
  /** The CA for the first certificate (with the token); renewals go to `caRenewalAddress` over mTLS. */
  caAddress: string;
  caRenewalAddress: string;
  /**
   * istiod's root certificate (Istio's CA_ROOT_CA, mounted from the `istio-ca-root-cert` ConfigMap):
   * the CA is reached only over TLS, and this is how the first request knows it talks to istiod.
   */
  caRootCertFile: string;
  istioNamespace: string;
  /**
   * The names istiod's xDS and CA certificates must carry (Kubernetes mode: pilot-agent's ISTIOD_SAN, else
   * each address's host); `istiod.<istioNamespace>.svc` when not given.
   */
  istiodServerNames?: { xds: string; ca: string };
  tokenFile: string;
  /**
   * `transparent`: iptables sends traffic to 15001/15006. `explicit`: bound listeners, the local
   * platform's default. `router`: an Istio gateway (node `router~`): nothing captured, the ports of
   * istiod's gateway listeners bound on `bindAddress`.
   */
  capture: 'transparent' | 'explicit' | 'router';
  /** Explicit mode: the application's port → where the application really listens. */
  inboundPorts: Map<number, { host: string; port: number }>;
  /**
   * Explicit mode: which local processes may use the forward proxy and the admin port —
   * `same-user` (the proxy's own user and root, as the kernel's socket table says) or `any`.
   */
  localCallers: 'same-user' | 'any';
  /** Address the proxy's own listeners bind: `0.0.0.0` in a pod, the workload's address locally. */
  bindAddress: string;
  ports: { admin: number; outbound: number; inbound: number; status: number; stats: number };
  /** Extra node metadata from `ISTIO_META_*` variables (Istio's convention). */
  extraMetadata: Record<string, string>;
  accessLogFile: string;
  drainSeconds: number;
  /** Timeouts and connection limits for downstream peers (defaults in `listeners/downstream-limits.ts`). */
  downstreamLimits: DownstreamLimits;
  logLevel: string;
  /** Where to report readiness (`--ready-fd`, the launcher's pipe): see `@mesh/launcher/readiness`. */
  readyFd?: number;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'PROXY_USAGE';
}

export const USAGE = `usage: mesh-proxy [--pod-name NAME] [--namespace NS] [--service-account SA] [--instance-ip IP]
                  [--labels k=v,...] [--trust-domain cluster.local]
                  [--xds-address istiod.istio-system.svc:15012] [--xds-tls] [--xds-protocol delta|sotw]
                  [--ca-address ADDR] [--ca-renewal-address ADDR] [--istio-namespace istio-system]
                  [--ca-root-cert /var/run/secrets/istio/root-cert.pem]
                  [--token-file /var/run/secrets/tokens/istio-token]
                  [--capture transparent|explicit|router] [--inbound APP_PORT=HOST:PORT ...] [--bind-address IP]
                  [--local-callers same-user|any]
                  [--admin-port 15000] [--outbound-port 15001] [--inbound-port 15006]
                  [--status-port 15021] [--stats-port 15090]
                  [--access-log FILE] [--drain-duration 5s] [--log-level info]
                  [--listener-filters-timeout 5s] [--tls-handshake-timeout 10s]
                  [--request-headers-timeout 10s] [--idle-timeout 1h] [--max-connections N]
                  [--ready-fd N]
Environment (Kubernetes): POD_NAME, POD_NAMESPACE, SERVICE_ACCOUNT, INSTANCE_IP, TRUST_DOMAIN,
  ISTIO_META_* (node metadata), ISTIO_METAJSON_LABELS (labels as JSON), CA_ADDR, CA_ROOT_CA,
  PILOT_DISCOVERY_ADDRESS.
Kubernetes (the injected istio-proxy container; router: a gateway): mesh-proxy proxy sidecar|router
  [--domain D] [--proxyLogLevel L] [--proxyComponentLogLevel C] [--log_output_level S]
  [mesh-proxy flags above, which win]
  reads PROXY_CONFIG, CA_ADDR and the pod's files (apps/proxy/README.md).`;

function port(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`--${flag}: "${value}" is not a port number`);
  return n;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--labels: "${pair}" is not key=value`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

function jsonLabels(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } catch {
    // reported below
  }
  throw new UsageError('ISTIO_METAJSON_LABELS: not a JSON object of labels');
}

function parseInbound(values: readonly string[]): Map<number, { host: string; port: number }> {
  const map = new Map<number, { host: string; port: number }>();
  for (const value of values) {
    const match = /^(\d+)=(.+):(\d+)$/.exec(value);
    if (!match) throw new UsageError(`--inbound: "${value}" is not APP_PORT=HOST:PORT`);
    map.set(port('inbound', match[1] as string), {
      host: match[2] as string,
      port: port('inbound', match[3] as string),
    });
  }
  return map;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

function seconds(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!match) throw new UsageError(`--${flag}: "${value}" is not a duration like 500ms, 5s, 10m or 1h`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

/** A limit's duration in milliseconds; zero would disable it, which these flags do not allow. */
function limitMs(flag: string, value: string): number {
  const ms = Math.round(seconds(flag, value) * 1000);
  if (ms <= 0) throw new UsageError(`--${flag}: "${value}" must be longer than 0`);
  return ms;
}

function positiveCount(flag: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--${flag}: "${value}" is not a positive number`);
  return Number(value);
}

function readyFd(value: string): number {
  try {
    return parseReadyFd(value);
  } catch (err) {
    throw new UsageError(`--ready-fd: ${(err as Error).message}`);
  }
}

/** Parses the command line and environment; throws `UsageError` with one clear line. */
export function parseProxyOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ProxyOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'pod-name': { type: 'string' },
        namespace: { type: 'string' },
        'service-account': { type: 'string' },
        'instance-ip': { type: 'string' },
        labels: { type: 'string' },
        'trust-domain': { type: 'string' },
        'xds-address': { type: 'string' },
        'xds-tls': { type: 'boolean' },
        'xds-protocol': { type: 'string' },
        'ca-address': { type: 'string' },
        'ca-renewal-address': { type: 'string' },
        'ca-root-cert': { type: 'string' },
        'istio-namespace': { type: 'string' },
        'token-file': { type: 'string' },
        capture: { type: 'string' },
        inbound: { type: 'string', multiple: true },
        'bind-address': { type: 'string' },
        'local-callers': { type: 'string' },
        'admin-port': { type: 'string' },
        'outbound-port': { type: 'string' },
        'inbound-port': { type: 'string' },
        'status-port': { type: 'string' },
        'stats-port': { type: 'string' },
        'access-log': { type: 'string' },
        'drain-duration': { type: 'string' },
        'log-level': { type: 'string' },
        'listener-filters-timeout': { type: 'string' },
        'tls-handshake-timeout': { type: 'string' },
        'request-headers-timeout': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'max-connections': { type: 'string' },
        'ready-fd': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const capture = parsed.capture ?? 'transparent';
  if (capture !== 'transparent' && capture !== 'explicit' && capture !== 'router')
    throw new UsageError(`--capture: "${capture}" is not transparent, explicit or router`);
  const localCallers = parsed['local-callers'] ?? 'same-user';
  if (localCallers !== 'same-user' && localCallers !== 'any')
    throw new UsageError(`--local-callers: "${localCallers}" is not same-user or any`);
  const xdsProtocol = parsed['xds-protocol'] ?? 'delta';
  if (xdsProtocol !== 'delta' && xdsProtocol !== 'sotw')
    throw new UsageError(`--xds-protocol: "${xdsProtocol}" is not delta or sotw`);
  const required = (flag: string, value: string | undefined, envName: string): string => {
    if (!value) throw new UsageError(`--${flag} (or ${envName}) is required`);
    return value;
  };
  const xdsAddress =
    parsed['xds-address'] ?? env['PILOT_DISCOVERY_ADDRESS'] ?? 'istiod.istio-system.svc:15012';
  const caAddress = parsed['ca-address'] ?? env['CA_ADDR'] ?? xdsAddress;
  const instanceIp = required('instance-ip', parsed['instance-ip'] ?? env['INSTANCE_IP'], 'INSTANCE_IP');
  const extraMetadata = Object.fromEntries(
    Object.entries(env)
      .filter(([k, v]) => k.startsWith('ISTIO_META_') && v !== undefined)
      .map(([k, v]) => [k.slice('ISTIO_META_'.length), v as string]),
  );
  return {
    podName: required('pod-name', parsed['pod-name'] ?? env['POD_NAME'], 'POD_NAME'),
    namespace: required('namespace', parsed.namespace ?? env['POD_NAMESPACE'], 'POD_NAMESPACE'),
    serviceAccount: parsed['service-account'] ?? env['SERVICE_ACCOUNT'] ?? 'default',
    instanceIp,
    labels: parsed.labels ? parseLabels(parsed.labels) : jsonLabels(env['ISTIO_METAJSON_LABELS']),
    trustDomain: parsed['trust-domain'] ?? env['TRUST_DOMAIN'] ?? 'cluster.local',
    xdsAddress,
    xdsTls: parsed['xds-tls'] ?? xdsAddress.endsWith(':15012'),
    xdsProtocol,
    caAddress,
    caRenewalAddress: parsed['ca-renewal-address'] ?? caAddress,
    caRootCertFile: parsed['ca-root-cert'] ?? env['CA_ROOT_CA'] ?? '/var/run/secrets/istio/root-cert.pem',
    istioNamespace: parsed['istio-namespace'] ?? 'istio-system',
    tokenFile: parsed['token-file'] ?? '/var/run/secrets/tokens/istio-token',
    capture,
    inboundPorts: parseInbound(parsed.inbound ?? []),
    localCallers,
    bindAddress: parsed['bind-address'] ?? (capture === 'explicit' ? instanceIp : '0.0.0.0'),
    ports: {
      admin: port('admin-port', parsed['admin-port'] ?? '15000'),
      outbound: port('outbound-port', parsed['outbound-port'] ?? '15001'),
      inbound: port('inbound-port', parsed['inbound-port'] ?? '15006'),
      status: port('status-port', parsed['status-port'] ?? '15021'),
      stats: port('stats-port', parsed['stats-port'] ?? '15090'),
    },
    extraMetadata,
    accessLogFile: parsed['access-log'] ?? '',
    drainSeconds: seconds('drain-duration', parsed['drain-duration'] ?? '5s'),
    logLevel: parsed['log-level'] ?? 'info',
    downstreamLimits: downstreamLimits(parsed),
    readyFd: parsed['ready-fd'] === undefined ? undefined : readyFd(parsed['ready-fd']),
  };
}

/** The flag of each downstream timeout and its default in `DOWNSTREAM_LIMIT_DEFAULTS`. */
const DOWNSTREAM_FLAGS = {
  'listener-filters-timeout': 'listenerFiltersTimeout',
  'tls-handshake-timeout': 'tlsHandshakeTimeout',
  'request-headers-timeout': 'requestHeadersTimeout',
  'idle-timeout': 'idleTimeout',
} as const;

function downstreamLimits(parsed: Record<string, string | boolean | string[] | undefined>): DownstreamLimits {
  const duration = (flag: keyof typeof DOWNSTREAM_FLAGS) =>
    limitMs(flag, (parsed[flag] as string | undefined) ?? DOWNSTREAM_LIMIT_DEFAULTS[DOWNSTREAM_FLAGS[flag]]);
  const maxConnections = parsed['max-connections'] as string | undefined;
  return {
    listenerFiltersTimeoutMs: duration('listener-filters-timeout'),
    tlsHandshakeTimeoutMs: duration('tls-handshake-timeout'),
    requestHeadersTimeoutMs: duration('request-headers-timeout'),
    idleTimeoutMs: duration('idle-timeout'),
    maxConnectionsPerListener: maxConnections
      ? positiveCount('max-connections', maxConnections)
      : defaultConnectionLimit(),
  };
}
