import { messageNameOf } from '../codec/any.js';
import { envoyRoot } from '../codec/proto-root.js';
import type { IssueCollector } from './validation.js';

/** A `google.protobuf.Duration` in canonical form (seconds is a 64-bit integer, so a string). */
export interface CanonicalDuration {
  seconds?: string | number;
  nanos?: number;
}

/** An `Any` in canonical form: decoded (`@type` + fields) when its type is known, raw otherwise. */
export type CanonicalAny = { '@type'?: string; type_url?: string; value?: string } & Record<string, unknown>;

export function checkDuration(
  at: IssueCollector,
  d: CanonicalDuration | undefined,
  opts: { positive?: boolean } = {},
): void {
  if (d === undefined) return;
  const seconds = Number(d.seconds ?? 0);
  const nanos = d.nanos ?? 0;
  if (!Number.isFinite(seconds) || seconds < 0 || nanos < 0 || nanos > 999_999_999) {
    at.add('duration must be non-negative with nanos in [0, 999999999]');
  } else if (opts.positive && seconds === 0 && nanos === 0) {
    at.add('duration must be greater than zero');
  }
}

export function checkPort(
  at: IssueCollector,
  port: number | undefined,
  opts: { allowZero?: boolean } = {},
): void {
  if (port === undefined) {
    if (!opts.allowZero) at.add('port_value is required');
    return;
  }
  if (!Number.isInteger(port) || port < (opts.allowZero ? 0 : 1) || port > 65535) {
    at.add(`port ${port} is out of range [${opts.allowZero ? 0 : 1}, 65535]`);
  }
}

export interface CanonicalAddress {
  socket_address?: { address?: string; port_value?: number; named_port?: string; protocol?: string };
  pipe?: { path?: string };
  envoy_internal_address?: { server_listener_name?: string };
}

/** An `envoy.config.core.v3.Address`: exactly one of socket_address, pipe or internal address. */
export function checkAddress(
  at: IssueCollector,
  address: CanonicalAddress | undefined,
  opts: { allowZeroPort?: boolean } = {},
): void {
  if (!address) {
    at.add('address is required');
    return;
  }
  const kinds = [address.socket_address, address.pipe, address.envoy_internal_address].filter(
    (x) => x !== undefined,
  );
  if (
    !at.check(kinds.length === 1, 'exactly one of socket_address, pipe or envoy_internal_address is required')
  )
    return;
  if (address.socket_address) {
    const sa = address.socket_address;
    at.field('socket_address.address').requireString(
      sa.address,
      'must be a non-empty IP address or hostname',
    );
    if (sa.named_port === undefined)
      checkPort(at.field('socket_address.port_value'), sa.port_value, { allowZero: opts.allowZeroPort });
  }
  if (address.pipe) at.field('pipe.path').requireString(address.pipe.path);
}

/**
 * A `typed_config` must carry a known extension type (Envoy rejects configs it has no implementation
 * for), optionally one of `allowed` types.
 */
export function checkTypedConfig(
  at: IssueCollector,
  config: CanonicalAny | undefined,
  allowed?: readonly string[],
): string | undefined {
  if (!config) {
    at.add('typed_config is required');
    return undefined;
  }
  const typeUrl = config['@type'] ?? config.type_url;
  if (!typeUrl) {
    at.add('typed_config has no type URL');
    return undefined;
  }
  if (config['@type'] === undefined || envoyRoot().lookup(messageNameOf(typeUrl)) === null) {
    at.add(`unknown extension type ${typeUrl}`);
    return undefined;
  }
  if (allowed && !allowed.includes(typeUrl)) {
    at.add(`type ${typeUrl} is not allowed here (expected ${allowed.join(' or ')})`);
    return undefined;
  }
  return typeUrl;
}

/** A regular expression the proxy must be able to compile. */
export function checkRegex(at: IssueCollector, regex: string | undefined): void {
  if (!at.requireString(regex, 'regex must be non-empty')) return;
  try {
    new RegExp(regex as string, 'u');
  } catch (cause) {
    at.add(`invalid regex: ${(cause as Error).message}`);
  }
}

export interface CanonicalStringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: { regex?: string };
  ignore_case?: boolean;
}

/** `envoy.type.matcher.v3.StringMatcher`: exactly one pattern, regexes compile. */
export function checkStringMatcher(at: IssueCollector, m: CanonicalStringMatcher | undefined): void {
  if (!m) return;
  const set = (['exact', 'prefix', 'suffix', 'contains', 'safe_regex'] as const).filter(
    (k) => m[k] !== undefined,
  );
  if (!at.check(set.length === 1, 'exactly one of exact, prefix, suffix, contains, safe_regex is required'))
    return;
  if (m.prefix !== undefined) at.field('prefix').requireString(m.prefix);
  if (m.suffix !== undefined) at.field('suffix').requireString(m.suffix);
  if (m.contains !== undefined) at.field('contains').requireString(m.contains);
  if (m.safe_regex) checkRegex(at.field('safe_regex.regex'), m.safe_regex.regex);
}

/** `envoy.config.core.v3.ConfigSource` used by RDS/EDS/SDS references: ADS or a named source. */
export function checkConfigSource(at: IssueCollector, source: Record<string, unknown> | undefined): void {
  if (!source) {
    at.add('config_source is required');
    return;
  }
  const kinds = ['path', 'path_config_source', 'api_config_source', 'ads', 'self'].filter(
    (k) => source[k] !== undefined,
  );
  at.check(
    kinds.length === 1,
    'exactly one of ads, self, api_config_source, path or path_config_source is required',
  );
}

/** `envoy.config.core.v3.DataSource`: exactly one of filename, inline_bytes, inline_string, environment_variable. */
export function checkDataSource(at: IssueCollector, source: Record<string, unknown> | undefined): void {
  if (!source) {
    at.add('data source is required');
    return;
  }
  const kinds = ['filename', 'inline_bytes', 'inline_string', 'environment_variable'].filter(
    (k) => source[k] !== undefined,
  );
  at.check(
    kinds.length === 1,
    'exactly one of filename, inline_bytes, inline_string or environment_variable is required',
  );
}
