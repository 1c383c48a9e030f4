import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { parseReadyFd } from '@mesh/launcher/readiness';
import {
  DEFAULT_ROOT_CHECK_INTERVAL_SECONDS,
  DEFAULT_ROOT_GRACE_PERIOD_PERCENTAGE,
  DEFAULT_ROOT_TTL_SECONDS,
} from '@mesh/pki';
import { parseDuration } from '@mesh/policy';

/** Everything istiod is started with. Defaults are Istio's (ports, trust domain, certificate TTLs). */
export interface IstiodOptions {
  configDir: string;
  stateDir: string;
  /** Istio's plug-in CA directory (`cacerts` layout); wins over the self-signed root in the state dir. */
  caDir?: string;
  /** Address of the secure xDS+CA port (15012) and the monitoring port (15014). */
  listenAddress: string;
  /**
   * Address of the plaintext xDS port (15010), which serves config only: loopback unless asked
   * otherwise, since anyone who reaches it may read the mesh's config. `xdsPort` null turns it off.
   */
  xdsListenAddress: string;
  xdsPort: number | null;
  secureXdsPort: number;
  monitoringPort: number;
  /**
   * `--webhook-port`: the HTTPS port of the injection and validation webhooks (Istio's 15017). On by
   * default only when istiod works for a cluster (`--kubeconfig`, or in a pod): the local platform
   * has no API server to call it. null is off.
   */
  webhookPort: number | null;
  /** `--revision`: Istio's control-plane revision (empty is the default one). */
  revision: string;
  /**
   * `--trust-domain`; when absent, MeshConfig's `trustDomain` (cluster.local by default). Either way it
   * is fixed at start: the CA and every identity istiod checks depend on it.
   */
  trustDomain?: string;
  /** `--mesh-config`: Istio's MeshConfig YAML (`/etc/istio/config/mesh` in Istio's pod), watched. */
  meshConfigFile?: string;
  /** Namespace istiod runs in: its own certificate is for `istiod.<ns>.svc`. */
  istioNamespace: string;
  workloadCertTtlSeconds: number;
  maxWorkloadCertTtlSeconds: number;
  /** Kubeconfig for TokenReview of service-account tokens; in-cluster config when running in a pod. */
  kubeconfig?: string;
  /** Quiet period after a config change before the push (Istio's PILOT_DEBOUNCE_AFTER). */
  pushDebounceMs: number;
  /**
   * `--reconnect-grace`: after a restart, how long the endpoints proxies had registered with the
   * previous run stay while those proxies reconnect (Istio's PILOT_WORKLOAD_ENTRY_GRACE_PERIOD, 10 s,
   * which covers a proxy's reconnect backoff). 0 restores none.
   */
  reconnectGraceMs: number;
  /** Largest gRPC message istiod reads (Istio's ISTIO_GPRC_MAXRECVMSGSIZE, 4 MiB). */
  grpcMaxReceiveBytes: number;
  /** Join tokens whose lifetime (exp − iat) exceeds this are refused. */
  maxJoinTokenTtlSeconds: number;
  logLevel: string;
  /** Where to report readiness (`--ready-fd`, the launcher's pipe): see `@mesh/launcher/readiness`. */
  readyFd?: number;
  /** The self-signed root's lifetime and rotation, from Istio's environment variables. */
  selfSignedRoot: SelfSignedRootSettings;
}

/**
 * Istio's `CITADEL_SELF_SIGNED_*` environment: the self-signed root lives `ttlSeconds`
 * (`CITADEL_SELF_SIGNED_CA_CERT_TTL`, 3650 days), is checked every `checkIntervalSeconds`
 * (`CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL`, 1h) and rotated in the last
 * `gracePeriodPercentage` % of its life (`CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE`,
 * 20); with `jitter` (`CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR`, true) the first check waits a
 * random part of the interval, so replicas started together do not rotate together.
 */
export interface SelfSignedRootSettings {
  ttlSeconds: number;
  checkIntervalSeconds: number;
  gracePeriodPercentage: number;
  jitter: boolean;
}

/** A bad command line: istiod prints the message on one line and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ISTIOD_USAGE';
}

export const USAGE = `usage: istiod --config-dir DIR --state-dir DIR [--ca-dir DIR] [--listen-address 0.0.0.0]
              [--xds-listen-address 127.0.0.1] [--xds-port 15010|off] [--secure-xds-port 15012]
              [--monitoring-port 15014] [--webhook-port 15017|off] [--revision REV]
              [--istio-namespace istio-system]
              [--trust-domain DOMAIN] [--mesh-config FILE]
              [--workload-cert-ttl 24h] [--max-workload-cert-ttl 90d] [--max-join-token-ttl 7d]
              [--kubeconfig FILE] [--push-debounce 100ms] [--reconnect-grace 10s]
              [--grpc-max-message-size 4MiB] [--log-level info] [--ready-fd N]`;

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `30s`, `15m`, `24h`, `90d` into seconds. */
export function parseDurationSeconds(flag: string, value: string): number {
  const match = DURATION.exec(value);
  if (!match || Number(match[1]) === 0)
    throw new UsageError(`--${flag}: "${value}" is not a duration like 30s, 15m, 24h or 90d`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

function parseMilliseconds(flag: string, value: string): number {
  const match = /^(\d+)(ms|s)$/.exec(value);
  if (!match) throw new UsageError(`--${flag}: "${value}" is not a duration like 100ms or 1s`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new UsageError(`--${flag}: "${value}" is not a port number (0-65535)`);
  return port;
}

const SIZE = /^(\d+)(B|KiB|MiB)?$/;
const UNIT_BYTES: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 * 1024 };

/** Parses `4MiB`, `512KiB` or a byte count. */
function parseBytes(flag: string, value: string): number {
  const match = SIZE.exec(value);
  if (!match || Number(match[1]) === 0)
    throw new UsageError(`--${flag}: "${value}" is not a size like 4MiB, 512KiB or 65536`);
  return Number(match[1]) * (UNIT_BYTES[match[2] ?? 'B'] as number);
}

function readableDir(flag: string, dir: string): string {
  const path = resolve(dir);
  try {
    if (!statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is not a directory`);
    accessSync(path, constants.R_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `--${flag}: cannot read directory ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return path;
}

/** A file istiod reads at start and watches afterwards: it must exist and be readable now. */
function readableFile(flag: string, file: string): string {
  const path = resolve(file);
  try {
    if (!statSync(path).isFile()) throw new UsageError(`--${flag}: ${path} is not a file`);
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `--${flag}: cannot read file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return path;
}

/** The state directory is created when missing; it must be writable (the CA root is persisted there). */
function writableDir(flag: string, dir: string): string {
  const path = resolve(dir);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    if (!statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is not a directory`);
    accessSync(path, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `--${flag}: cannot use directory ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return path;
}

/** Bounded: a restored endpoint is the previous state of a proof, never a lasting one. */
const MAX_RECONNECT_GRACE_MS = 5 * 60_000;

function reconnectGrace(value: string): number {
  const ms = parseMilliseconds('reconnect-grace', value);
  if (ms > MAX_RECONNECT_GRACE_MS)
    throw new UsageError(`--reconnect-grace: "${value}" is longer than the 300s allowed`);
  return ms;
}

function readyFd(value: string): number {
  try {
    return parseReadyFd(value);
  } catch (err) {
    throw new UsageError(`--ready-fd: ${(err as Error).message}`);
  }
}

function webhookPort(value: string | undefined, kubeconfig: string | undefined): number | null {
  if (value === 'off') return null;
  if (value !== undefined) return parsePort('webhook-port', value);
  return kubeconfig || process.env['KUBERNETES_SERVICE_HOST'] ? 15017 : null;
}

/** A revision names Services and webhook configurations (`istiod-<rev>`): a DNS label. */
function revision(value: string): string {
  if (value !== '' && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value))
    throw new UsageError(`--revision: "${value}" is not a DNS label (lower-case letters, digits, "-")`);
  return value;
}

/** A Go duration (`87600h`, `1h0m0s`, `30s`) of at least a second, from the environment variable `name`. */
function envSeconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const nanos = parseDuration(text);
  if (nanos === undefined || nanos < 1_000_000_000n)
    throw new UsageError(`${name}: "${text}" is not a duration of at least 1s like 1h, 30m or 87600h`);
  return Number(nanos / 1_000_000_000n);
}

function selfSignedRoot(env: NodeJS.ProcessEnv): SelfSignedRootSettings {
  const percentile = env['CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE'];
  if (percentile !== undefined && percentile !== '' && !/^(\d{1,2}|100)$/.test(percentile))
    throw new UsageError(
      `CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE: "${percentile}" is not a whole percentage (0-100)`,
    );
  const jitter = env['CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR'];
  if (jitter !== undefined && jitter !== '' && jitter !== 'true' && jitter !== 'false')
    throw new UsageError(`CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR: "${jitter}" is not true or false`);
  return {
    ttlSeconds: envSeconds(env, 'CITADEL_SELF_SIGNED_CA_CERT_TTL', DEFAULT_ROOT_TTL_SECONDS),
    checkIntervalSeconds: envSeconds(
      env,
      'CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL',
      DEFAULT_ROOT_CHECK_INTERVAL_SECONDS,
    ),
    gracePeriodPercentage:
      percentile === undefined || percentile === ''
        ? DEFAULT_ROOT_GRACE_PERIOD_PERCENTAGE
        : Number(percentile),
    jitter: jitter !== 'false',
  };
}

/** Flags from `argv`; Istio's environment variables (the self-signed root's) from `env`. */
export function parseIstiodOptions(argv: readonly string[], env = process.env): IstiodOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'config-dir': { type: 'string' },
        'state-dir': { type: 'string' },
        'ca-dir': { type: 'string' },
        'listen-address': { type: 'string', default: '0.0.0.0' },
        'xds-listen-address': { type: 'string', default: '127.0.0.1' },
        'xds-port': { type: 'string', default: '15010' },
        'secure-xds-port': { type: 'string', default: '15012' },
        'monitoring-port': { type: 'string', default: '15014' },
        'webhook-port': { type: 'string' },
        revision: { type: 'string', default: '' },
        'trust-domain': { type: 'string' },
        'mesh-config': { type: 'string' },
        'istio-namespace': { type: 'string', default: 'istio-system' },
        'workload-cert-ttl': { type: 'string', default: '24h' },
        'max-workload-cert-ttl': { type: 'string', default: '90d' },
        'max-join-token-ttl': { type: 'string', default: '7d' },
        'grpc-max-message-size': { type: 'string', default: '4MiB' },
        kubeconfig: { type: 'string' },
        'push-debounce': { type: 'string', default: '100ms' },
        'reconnect-grace': { type: 'string', default: '10s' },
        'log-level': { type: 'string', default: 'info' },
        'ready-fd': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!values['config-dir']) throw new UsageError('--config-dir is required');
  if (!values['state-dir']) throw new UsageError('--state-dir is required');
  const trustDomain = values['trust-domain'];
  if (trustDomain !== undefined && !/^[a-z0-9.-]+$/.test(trustDomain))
    throw new UsageError(`--trust-domain: "${trustDomain}" is not a valid trust domain`);
  const workloadTtl = parseDurationSeconds('workload-cert-ttl', values['workload-cert-ttl']);
  const maxTtl = parseDurationSeconds('max-workload-cert-ttl', values['max-workload-cert-ttl']);
  if (workloadTtl > maxTtl) throw new UsageError('--workload-cert-ttl cannot exceed --max-workload-cert-ttl');
  return {
    configDir: readableDir('config-dir', values['config-dir']),
    stateDir: writableDir('state-dir', values['state-dir']),
    caDir: values['ca-dir'] ? readableDir('ca-dir', values['ca-dir']) : undefined,
    listenAddress: values['listen-address'],
    xdsListenAddress: values['xds-listen-address'],
    xdsPort: values['xds-port'] === 'off' ? null : parsePort('xds-port', values['xds-port']),
    secureXdsPort: parsePort('secure-xds-port', values['secure-xds-port']),
    monitoringPort: parsePort('monitoring-port', values['monitoring-port']),
    webhookPort: webhookPort(values['webhook-port'], values.kubeconfig),
    revision: revision(values.revision),
    trustDomain,
    meshConfigFile: values['mesh-config'] ? readableFile('mesh-config', values['mesh-config']) : undefined,
    istioNamespace: values['istio-namespace'],
    workloadCertTtlSeconds: workloadTtl,
    maxWorkloadCertTtlSeconds: maxTtl,
    kubeconfig: values.kubeconfig,
    pushDebounceMs: parseMilliseconds('push-debounce', values['push-debounce']),
    reconnectGraceMs: reconnectGrace(values['reconnect-grace']),
    grpcMaxReceiveBytes: parseBytes('grpc-max-message-size', values['grpc-max-message-size']),
    maxJoinTokenTtlSeconds: parseDurationSeconds('max-join-token-ttl', values['max-join-token-ttl']),
    logLevel: values['log-level'],
    readyFd: values['ready-fd'] === undefined ? undefined : readyFd(values['ready-fd']),
    selfSignedRoot: selfSignedRoot(env),
  };
}
