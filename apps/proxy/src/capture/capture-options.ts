import { isIPv4, isIPv6 } from 'node:net';

import { CaptureError } from './capture-error.js';

/**
 * What to capture, with istio-iptables' flag names for reference. Every field is optional; the
 * defaults are those a sidecar injected by Istio runs with (`istio-iptables -p 15001 -z 15006 -u 1337
 * -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020`).
 */
export interface CaptureOptions {
  /** `ip6tables` rules instead of `iptables` ones; CIDRs of the other family are skipped. Default 4. */
  family?: 4 | 6;
  /** `-p`: where outbound connections are redirected (the outbound capture listener). Default 15001. */
  proxyPort?: number;
  /** `-z`: where inbound connections are redirected (the inbound capture listener). Default 15006. */
  inboundCapturePort?: number;
  /** `--inbound-tunnel-port`: the HBONE port, never captured inbound nor looped back. Default 15008. */
  inboundTunnelPort?: number;
  /** `-u`: the proxy's uid; its own connections are never captured (no loop). Default 1337. */
  proxyUid?: number;
  /** `-g`: the proxy's gid, excluded like the uid. Defaults to `proxyUid`, as istio-iptables does. */
  proxyGid?: number;
  /** `-b`: inbound ports to capture, `'*'` for all. `[]` turns inbound capture off. Default `'*'`. */
  includeInboundPorts?: '*' | readonly number[];
  /**
   * `-d`: inbound ports left alone when `includeInboundPorts` is `'*'`. The proxy's own ports 15090
   * (Prometheus), 15021 (health) and 15020 (merged metrics, status) are always added, as the Istio
   * injector does. Default `[]`.
   */
  excludeInboundPorts?: readonly number[];
  /** `-i`: outbound destinations to capture, as CIDRs, `'*'` for all. `[]` captures none. Default `'*'`. */
  includeOutboundIpRanges?: '*' | readonly string[];
  /** `-x`: outbound destinations never captured, as CIDRs. Applied before inclusions. Default `[]`. */
  excludeOutboundIpRanges?: readonly string[];
  /** `-o`: outbound destination ports never captured (TCP and UDP). Default `[]`. */
  excludeOutboundPorts?: readonly number[];
}

/** Options with every default applied and every value checked. */
export interface ResolvedCaptureOptions {
  family: 4 | 6;
  proxyPort: number;
  inboundCapturePort: number;
  inboundTunnelPort: number;
  proxyUid: number;
  proxyGid: number;
  includeInboundPorts: '*' | readonly number[];
  /** Always starts with 15090 and 15021 and contains 15020, in the injector's order, without duplicates. */
  excludeInboundPorts: readonly number[];
  includeOutboundIpRanges: '*' | readonly string[];
  excludeOutboundIpRanges: readonly string[];
  excludeOutboundPorts: readonly number[];
}

/** Prometheus (15090) and health (15021) come first, the status port (15020) after the user's list. */
export const PROXY_PORTS_EXCLUDED_BEFORE = [15090, 15021] as const;
export const PROXY_PORTS_EXCLUDED_AFTER = [15020] as const;

export const DEFAULT_CAPTURE_OPTIONS = {
  family: 4,
  proxyPort: 15001,
  inboundCapturePort: 15006,
  inboundTunnelPort: 15008,
  proxyUid: 1337,
  includeInboundPorts: '*',
  excludeInboundPorts: [],
  includeOutboundIpRanges: '*',
  excludeOutboundIpRanges: [],
  excludeOutboundPorts: [],
} as const satisfies Omit<ResolvedCaptureOptions, 'proxyGid'>;

function invalid(path: string, message: string): CaptureError {
  return new CaptureError('CAPTURE_INVALID_OPTIONS', `${path}: ${message}`);
}

function checkPort(path: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
    throw invalid(path, `${JSON.stringify(value)} is not a port (an integer from 1 to 65535)`);
  }
  return value as number;
}

function checkPorts(path: string, values: readonly unknown[]): number[] {
  if (!Array.isArray(values)) throw invalid(path, 'expected a list of ports');
  return values.map((v, i) => checkPort(`${path}[${i}]`, v));
}

function checkId(path: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xfffffffe) {
    throw invalid(path, `${JSON.stringify(value)} is not a uid or gid`);
  }
  return value as number;
}

/** `address/prefix`, as iptables takes it; a bare address is refused rather than silently ignored. */
function checkCidr(path: string, value: unknown): string {
  const [address, prefix, extra] = typeof value === 'string' ? value.split('/') : [];
  const maxPrefix = address && isIPv4(address) ? 32 : address && isIPv6(address) ? 128 : 0;
  const length = Number(prefix);
  if (extra !== undefined || maxPrefix === 0 || !/^\d+$/.test(prefix ?? '') || length > maxPrefix) {
    throw invalid(path, `${JSON.stringify(value)} is not a CIDR (address/prefix-length)`);
  }
  return value as string;
}

function checkCidrs(path: string, values: readonly unknown[]): string[] {
  if (!Array.isArray(values)) throw invalid(path, 'expected a list of CIDRs');
  return values.map((v, i) => checkCidr(`${path}[${i}]`, v));
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Applies the defaults and validates; throws a CaptureError `CAPTURE_INVALID_OPTIONS` naming the field. */
export function resolveCaptureOptions(options: CaptureOptions = {}): ResolvedCaptureOptions {
  // An explicit `undefined` means "the default", as it would for a missing field.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULT_CAPTURE_OPTIONS, ...given } as Required<Omit<CaptureOptions, 'proxyGid'>> &
    CaptureOptions;
  if (o.family !== 4 && o.family !== 6) throw invalid('family', `${JSON.stringify(o.family)} is not 4 or 6`);
  const proxyUid = checkId('proxyUid', o.proxyUid);
  const includeInboundPorts =
    o.includeInboundPorts === '*' ? '*' : checkPorts('includeInboundPorts', o.includeInboundPorts);
  const includeOutboundIpRanges =
    o.includeOutboundIpRanges === '*'
      ? '*'
      : checkCidrs('includeOutboundIpRanges', o.includeOutboundIpRanges);
  const userExcludedInbound = checkPorts('excludeInboundPorts', o.excludeInboundPorts);
  return {
    family: o.family,
    proxyPort: checkPort('proxyPort', o.proxyPort),
    inboundCapturePort: checkPort('inboundCapturePort', o.inboundCapturePort),
    inboundTunnelPort: checkPort('inboundTunnelPort', o.inboundTunnelPort),
    proxyUid,
    proxyGid: o.proxyGid === undefined ? proxyUid : checkId('proxyGid', o.proxyGid),
    includeInboundPorts,
    excludeInboundPorts: unique([
      ...PROXY_PORTS_EXCLUDED_BEFORE,
      ...userExcludedInbound,
      ...PROXY_PORTS_EXCLUDED_AFTER,
    ]),
    includeOutboundIpRanges,
    excludeOutboundIpRanges: checkCidrs('excludeOutboundIpRanges', o.excludeOutboundIpRanges),
    excludeOutboundPorts: unique(checkPorts('excludeOutboundPorts', o.excludeOutboundPorts)),
  };
}
