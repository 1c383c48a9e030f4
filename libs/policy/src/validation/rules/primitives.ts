import { isIP } from 'node:net';

import { RE2JS } from 're2js';

/**
 * Checks of single values, shared by every kind. Each returns the reason a value is invalid, or
 * undefined when it is valid; messages follow Istio's webhook (`pkg/config/validation`).
 */

const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const DURATION_TOKEN = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
const NANOS_PER_MS = 1_000_000n;

/**
 * Parses a Go duration string (`300ms`, `1.5h`, `2h45m`) into nanoseconds, exactly (no float rounding,
 * so precision checks are reliable). Returns undefined for anything Go's `time.ParseDuration` rejects.
 */
export function parseDuration(text: string): bigint | undefined {
  let rest = text;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1n : 1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  DURATION_TOKEN.lastIndex = 0;
  let total = 0n;
  let consumed = 0;
  for (let match = DURATION_TOKEN.exec(rest); match !== null; match = DURATION_TOKEN.exec(rest)) {
    const [token, number = '', unit = ''] = match;
    const [whole = '', fraction = ''] = number.split('.');
    const unitNanos = UNIT_NANOS[unit] ?? 0n;
    total += BigInt(whole === '' ? '0' : whole) * unitNanos;
    if (fraction !== '') total += (BigInt(fraction) * unitNanos) / 10n ** BigInt(fraction.length);
    consumed += token.length;
  }
  return consumed === rest.length ? sign * total : undefined;
}

/** Istio's `ValidateDuration`: a proto duration of at least 1ms, with millisecond precision. */
export function checkDuration(text: string): string | undefined {
  const nanos = parseDuration(text);
  if (nanos === undefined)
    return `invalid duration ${JSON.stringify(text)} (use Go syntax such as 1s, 100ms, 1h30m)`;
  if (nanos < NANOS_PER_MS) return `duration ${text} must be greater than 1ms`;
  if (nanos % NANOS_PER_MS !== 0n) return `duration ${text}: only durations to ms precision are supported`;
  return undefined;
}

/** Whole seconds only (CORS `maxAge`, which Envoy takes in seconds). */
export function isWholeSeconds(text: string): boolean {
  const nanos = parseDuration(text);
  return nanos !== undefined && nanos % 1_000_000_000n === 0n;
}

export function checkPort(port: number): string | undefined {
  return port >= 1 && port <= 65535 ? undefined : `port number ${port} must be in the range 1..65535`;
}

/** A fraction of traffic: 0, or within [0.0001, 100] (Envoy's smallest representable share). */
export function checkPercentage(value: number): string | undefined {
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    return `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`;
  }
  return undefined;
}

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

export function checkIpAddress(text: string): string | undefined {
  return isIpAddress(text) ? undefined : `${text} is not a valid IP`;
}

/** An IP address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`). */
export function checkIpOrCidr(text: string): string | undefined {
  const slash = text.split('/');
  if (slash.length === 1) return checkIpAddress(text);
  const [address = '', bits = ''] = slash;
  const family = isIP(address);
  const maxBits = family === 4 ? 32 : 128;
  if (slash.length !== 2 || family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > maxBits) {
    return `${text} is not a valid CIDR block`;
  }
  return undefined;
}

/** A Unix domain socket path (after `unix://`): absolute and not a directory, or abstract (`@name`). */
export function checkUnixAddress(path: string): string | undefined {
  if (path === '') return 'unix address must not be empty';
  if (path.startsWith('@')) return undefined;
  return path.startsWith('/') && !path.endsWith('/')
    ? undefined
    : `${path} is not an absolute path to a file`;
}

/** Envoy enforces an RE2 program size; like Istio we approximate it with the pattern length. */
const MAX_REGEX_LENGTH = 1024;

/**
 * Checks a regular expression against RE2's syntax, which Envoy uses: JavaScript's RegExp accepts
 * lookarounds and backreferences that RE2 rejects, so `new RegExp` would wave invalid config through.
 */
export function checkRegex(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH)
    return `regex is too large, max length allowed is ${MAX_REGEX_LENGTH}`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `${reason}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
  }
}

/** Istio's DNS-1123 label (case-insensitive, as host names are). */
const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export function isDns1123Label(text: string): boolean {
  return text.length <= 63 && DNS1123_LABEL.test(text);
}

/**
 * A Kubernetes object name: a DNS-1123 subdomain, lowercase, at most 253 characters. Unlike a host
 * name, its dot-separated parts have no 63-character limit (Kubernetes' `IsDNS1123Subdomain`).
 */
export function isKubernetesName(text: string): boolean {
  return (
    text.length <= 253 && /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/.test(text)
  );
}

/** A Kubernetes namespace name (DNS-1123 label, lowercase). */
export function isNamespaceName(text: string): boolean {
  return text.length <= 63 && /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(text);
}

const QUALIFIED_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A label key: `[prefix/]name`, the prefix a DNS subdomain, the name a qualified name (Kubernetes rules). */
export function checkLabelKey(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts.at(-1) ?? '';
  const prefix = parts.length === 2 ? (parts[0] ?? '') : '';
  const prefixValid = parts.length === 1 || (prefix.length <= 253 && prefix.split('.').every(isDns1123Label));
  const nameValid = name.length <= 63 && QUALIFIED_NAME.test(name);
  return parts.length <= 2 && prefixValid && nameValid
    ? undefined
    : `invalid label key ${JSON.stringify(key)}`;
}

export function checkLabelValue(key: string, value: string): string | undefined {
  return value.length <= 63 && LABEL_VALUE.test(value)
    ? undefined
    : `invalid label value ${JSON.stringify(value)} for key ${JSON.stringify(key)}`;
}
