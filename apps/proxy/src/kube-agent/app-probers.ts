import { UsageError } from '../options.js';

/**
 * `ISTIO_KUBE_APP_PROBERS`: the app containers' original probes, which the injector replaced with
 * `/app-health/<container>/livez|readyz|startupz` on the agent's status port
 * (libs/kube/src/injection/app-probes.ts). JSON of path → `{httpGet|tcpSocket|grpc, timeoutSeconds}`,
 * as pilot-agent's status server reads it; every field is checked here, so a bad entry stops the
 * sidecar at start with its path rather than failing each probe later.
 */

export interface HttpGetProber {
  kind: 'httpGet';
  scheme: 'HTTP' | 'HTTPS';
  port: number;
  path: string;
  /** `host` of the probe: Istio sends it as the Host header. */
  host?: string;
  headers: { name: string; value: string }[];
}
export interface TcpSocketProber {
  kind: 'tcpSocket';
  port: number;
}
export interface GrpcProber {
  kind: 'grpc';
  port: number;
  /** The `service` of grpc.health.v1.HealthCheckRequest; empty: the server as a whole. */
  service: string;
}
export type AppProber = (HttpGetProber | TcpSocketProber | GrpcProber) & { timeoutMs: number };

/** The kubelet's default `timeoutSeconds`, which pilot-agent applies when the probe had none. */
const DEFAULT_TIMEOUT_SECONDS = 1;
const PATH_PATTERN = /^\/app-health\/[^/]+\/(livez|readyz|startupz)$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(field: string, reason: string): never {
  throw new UsageError(`ISTIO_KUBE_APP_PROBERS: ${field}: ${reason}`);
}

function portOf(value: unknown, field: string): number {
  // The injector resolved named ports; a name left here cannot be resolved by the agent.
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535)
    fail(field, `${JSON.stringify(value)} is not a port number`);
  return n;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(field, 'must be a string');
  return value;
}

function httpGet(h: Json, field: string): HttpGetProber {
  const scheme = optionalString(h['scheme'], `${field}.scheme`)?.toUpperCase() ?? 'HTTP';
  if (scheme !== 'HTTP' && scheme !== 'HTTPS') fail(`${field}.scheme`, `"${scheme}" is not HTTP or HTTPS`);
  const path = optionalString(h['path'], `${field}.path`) ?? '/';
  const headers = h['httpHeaders'] ?? [];
  if (!Array.isArray(headers)) fail(`${field}.httpHeaders`, 'must be a list');
  const host = optionalString(h['host'], `${field}.host`);
  return {
    kind: 'httpGet',
    scheme,
    port: portOf(h['port'], `${field}.port`),
    path: path.startsWith('/') ? path : `/${path}`,
    ...(host ? { host } : {}),
    headers: headers.map((header: unknown, i) => {
      const at = `${field}.httpHeaders[${i}]`;
      if (!isObject(header)) fail(at, 'must be {name, value}');
      const name = optionalString(header['name'], `${at}.name`);
      if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) fail(`${at}.name`, 'is not a header name');
      const value = optionalString(header['value'], `${at}.value`) ?? '';
      if (/[\r\n\0]/.test(value)) fail(`${at}.value`, 'must not hold CR, LF or NUL');
      return { name, value };
    }),
  };
}

function prober(entry: unknown, field: string): AppProber {
  if (!isObject(entry)) fail(field, 'must be an object');
  const timeout = entry['timeoutSeconds'] ?? DEFAULT_TIMEOUT_SECONDS;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1)
    fail(`${field}.timeoutSeconds`, 'must be a whole number of seconds, at least 1');
  const timeoutMs = timeout * 1000;
  const kinds = ['httpGet', 'tcpSocket', 'grpc'].filter((k) => entry[k] !== undefined);
  if (kinds.length !== 1) fail(field, 'needs exactly one of httpGet, tcpSocket, grpc');
  const kind = kinds[0] as string;
  const handler = entry[kind];
  if (!isObject(handler)) fail(`${field}.${kind}`, 'must be an object');
  if (kind === 'httpGet') return { ...httpGet(handler, `${field}.httpGet`), timeoutMs };
  const port = portOf(handler['port'], `${field}.${kind}.port`);
  if (kind === 'tcpSocket') return { kind, port, timeoutMs };
  return {
    kind: 'grpc',
    port,
    service: optionalString(handler['service'], `${field}.grpc.service`) ?? '',
    timeoutMs,
  };
}

/** Path (`/app-health/<container>/readyz`) → prober; empty when the variable is unset. */
export function parseAppProbers(text: string | undefined): ReadonlyMap<string, AppProber> {
  const probers = new Map<string, AppProber>();
  if (text === undefined || text.trim() === '') return probers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`ISTIO_KUBE_APP_PROBERS: not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) fail('(root)', 'must be an object of path → probe');
  for (const [path, entry] of Object.entries(parsed)) {
    if (!PATH_PATTERN.test(path)) fail(path, 'is not /app-health/<container>/livez|readyz|startupz');
    probers.set(path, prober(entry, path));
  }
  return probers;
}
