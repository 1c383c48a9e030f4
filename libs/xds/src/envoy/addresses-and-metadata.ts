import { matchesString, type EnvoyStringMatcher } from './matchers.js';

/**
 * Envoy's `CidrRange` matching (`Network::Address::CidrRange::isInRange`): an address matches a range
 * of its own family whose first `prefix_len` bits it shares; a missing `prefix_len` is 0. Ranges are
 * parsed once per config object; IPv4 stays in 32-bit numbers, IPv6 uses bigint.
 */

export interface EnvoyCidrRange {
  address_prefix: string;
  prefix_len?: { value: number };
}

type Parsed = { family: 4; value: number } | { family: 6; value: bigint };

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = (text.split('%')[0] ?? '').split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (!half) return [];
    const out: number[] = [];
    for (const group of half.split(':')) {
      const v4 = group.includes('.') ? parseIpv4(group) : undefined;
      if (v4 !== undefined) out.push(Math.floor(v4 / 65536), v4 % 65536);
      else if (/^[0-9a-fA-F]{1,4}$/.test(group)) out.push(parseInt(group, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array<number>(missing).fill(0), ...tail].reduce((v, g) => (v << 16n) | BigInt(g), 0n);
}

export function parseIp(text: string): Parsed | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

interface ParsedRange {
  address: Parsed | undefined;
  length: number;
}

const ranges = new WeakMap<EnvoyCidrRange, ParsedRange>();

function rangeOf(range: EnvoyCidrRange): ParsedRange {
  let parsed = ranges.get(range);
  if (parsed === undefined) {
    parsed = { address: parseIp(range.address_prefix), length: range.prefix_len?.value ?? 0 };
    ranges.set(range, parsed);
  }
  return parsed;
}

/** Whether `ip` lies in `range`; an absent or unparsable address lies in none. */
export function cidrContains(range: EnvoyCidrRange, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const { address, length } = rangeOf(range);
  const candidate = parseIp(ip);
  if (address === undefined || candidate === undefined || address.family !== candidate.family) return false;
  if (address.family === 4) {
    if (length <= 0) return true;
    const shift = 32 - Math.min(length, 32);
    return Math.floor(address.value / 2 ** shift) === Math.floor((candidate.value as number) / 2 ** shift);
  }
  const shift = BigInt(128 - Math.min(length, 128));
  return address.value >> shift === (candidate.value as bigint) >> shift;
}

/**
 * Envoy's `MetadataMatcher` over dynamic metadata (`source/common/common/matchers.cc`): the value at
 * `filter` + `path` tested by a ValueMatcher, XOR `invert`. Metadata is plain JSON here (what a
 * Struct decodes to); a missing value is null, which only `null_match` (and an inverted matcher) accepts.
 */

export type FilterMetadata = Readonly<Record<string, unknown>>;

export interface EnvoyValueMatcher {
  null_match?: object;
  double_match?: { exact?: number; range?: { start: number; end: number } };
  string_match?: EnvoyStringMatcher;
  bool_match?: boolean;
  present_match?: boolean;
  list_match?: { one_of: EnvoyValueMatcher };
  or_match?: { value_matchers: EnvoyValueMatcher[] };
}

export interface EnvoyMetadataMatcher {
  filter: string;
  path: { key: string }[];
  value: EnvoyValueMatcher;
  invert?: boolean;
}

function valueAt(
  metadata: FilterMetadata | undefined,
  filter: string,
  path: readonly { key: string }[],
): unknown {
  let value: unknown = metadata?.[filter];
  for (const { key } of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    value = (value as Record<string, unknown>)[key] ?? null;
  }
  return value ?? null;
}

export function matchesValue(matcher: EnvoyValueMatcher, value: unknown): boolean {
  if (matcher.null_match !== undefined) return value === null;
  if (matcher.present_match !== undefined) return matcher.present_match && value !== null;
  if (matcher.string_match !== undefined)
    return typeof value === 'string' && matchesString(matcher.string_match, value);
  if (matcher.bool_match !== undefined) return value === matcher.bool_match;
  if (matcher.double_match !== undefined) {
    if (typeof value !== 'number') return false;
    const { exact, range } = matcher.double_match;
    return exact !== undefined
      ? value === exact
      : range !== undefined && value >= range.start && value < range.end;
  }
  if (matcher.list_match !== undefined) {
    const one = matcher.list_match.one_of;
    return Array.isArray(value) && value.some((item) => matchesValue(one, item));
  }
  if (matcher.or_match !== undefined)
    return matcher.or_match.value_matchers.some((m) => matchesValue(m, value));
  return false;
}

export function matchesMetadata(
  matcher: EnvoyMetadataMatcher,
  metadata: FilterMetadata | undefined,
): boolean {
  return (
    matchesValue(matcher.value, valueAt(metadata, matcher.filter, matcher.path)) !== (matcher.invert === true)
  );
}
