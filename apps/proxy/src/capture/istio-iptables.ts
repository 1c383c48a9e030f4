import { BlockList, isIPv4 } from 'node:net';

import {
  type CaptureOptions,
  type ResolvedCaptureOptions,
  resolveCaptureOptions,
} from './capture-options.js';
import {
  destinationPortMatches,
  type IptablesRule,
  type IptablesRuleSet,
  ruleSet,
} from './iptables-rules.js';

/**
 * The nat-table rules of Istio's `istio-iptables` (tools/istio-iptables/pkg/capture/run.go) in REDIRECT
 * mode, in the same chains and the same order, so `iptables-save` in a pod of ours reads like one of
 * Istio's. TPROXY mode, DNS capture (15053), owner-group filters and virtual interfaces are not
 * generated.
 *
 * - ISTIO_INBOUND (from PREROUTING): what arrives for the workload; RETURN leaves it alone.
 * - ISTIO_IN_REDIRECT: REDIRECT to the inbound capture port (15006).
 * - ISTIO_OUTPUT (from OUTPUT): what local processes send; RETURN leaves it alone.
 * - ISTIO_REDIRECT: REDIRECT to the outbound capture port (15001).
 */
export const ISTIO_CHAINS = ['ISTIO_INBOUND', 'ISTIO_REDIRECT', 'ISTIO_IN_REDIRECT', 'ISTIO_OUTPUT'] as const;

const LOOPBACK = { 4: '127.0.0.1/32', 6: '::1/128' } as const;
/** The source the proxy binds for inbound passthrough (`127.0.0.6`), so it is never captured again. */
const INBOUND_PASSTHROUGH_SOURCE = { 4: '127.0.0.6/32', 6: '::6/128' } as const;

function append(chain: string, ...args: string[]): IptablesRule {
  return { table: 'nat', operation: '-A', chain, args };
}

function ofFamily(family: 4 | 6, cidrs: readonly string[]): string[] {
  return cidrs.filter((cidr) => isIPv4(cidr.split('/')[0]) === (family === 4));
}

const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_ADDRESSES.addAddress('::1', 'ipv6');

/** Istio looks at the prefix's address, in either family (Go's netip `IsLoopback`). */
function isLoopbackCidr(cidr: string): boolean {
  const address = cidr.split('/')[0];
  return LOOPBACK_ADDRESSES.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

function inboundRules(o: ResolvedCaptureOptions): IptablesRule[] {
  // An empty include list means no inbound capture at all: not even the jump from PREROUTING.
  if (o.includeInboundPorts !== '*' && o.includeInboundPorts.length === 0) return [];
  const rules = [append('PREROUTING', '-p', 'tcp', '-j', 'ISTIO_INBOUND')];
  if (o.includeInboundPorts === '*') {
    for (const ports of destinationPortMatches(o.excludeInboundPorts)) {
      rules.push(append('ISTIO_INBOUND', '-p', 'tcp', ...ports, '-j', 'RETURN'));
    }
    rules.push(append('ISTIO_INBOUND', '-p', 'tcp', '-j', 'ISTIO_IN_REDIRECT'));
  } else {
    // Explicit ports: only those are captured, so exclusions have nothing to apply to.
    for (const port of o.includeInboundPorts) {
      rules.push(append('ISTIO_INBOUND', '-p', 'tcp', '--dport', String(port), '-j', 'ISTIO_IN_REDIRECT'));
    }
  }
  return rules;
}

/**
 * The proxy's own traffic: for its uid, then its gid, (1) a connection it makes over lo to a local
 * non-127.0.0.1 address (an app calling itself through a service VIP: app → outbound → inbound → app)
 * goes to inbound capture; (2) anyone else's traffic over lo is left alone (an app calling itself by
 * pod IP), unless loopback ranges were explicitly included; (3) the rest of its traffic is never
 * captured, which is what prevents the proxy from capturing its own upstream connections.
 */
function ownerRules(o: ResolvedCaptureOptions, loopbackIncluded: boolean): IptablesRule[] {
  const rules: IptablesRule[] = [];
  const overLoopbackToLocalAddress = ['-o', 'lo', '!', '-d', LOOPBACK[o.family]];
  const notToTunnel = ['-p', 'tcp', '!', '--dport', String(o.inboundTunnelPort)];
  for (const [flag, id] of [
    ['--uid-owner', o.proxyUid],
    ['--gid-owner', o.proxyGid],
  ] as const) {
    const byProxy = ['-m', 'owner', flag, String(id)];
    const byOthers = ['-m', 'owner', '!', flag, String(id)];
    rules.push(
      append(
        'ISTIO_OUTPUT',
        ...overLoopbackToLocalAddress,
        ...notToTunnel,
        ...byProxy,
        '-j',
        'ISTIO_IN_REDIRECT',
      ),
    );
    if (!loopbackIncluded) {
      rules.push(append('ISTIO_OUTPUT', '-o', 'lo', ...byOthers, '-j', 'RETURN'));
    }
    rules.push(append('ISTIO_OUTPUT', ...byProxy, '-j', 'RETURN'));
  }
  return rules;
}

function outboundRules(o: ResolvedCaptureOptions): IptablesRule[] {
  const rules = [append('OUTPUT', '-j', 'ISTIO_OUTPUT')];
  // Port exclusions come first: they must win even over the proxy's loopback redirection below.
  for (const ports of destinationPortMatches(o.excludeOutboundPorts)) {
    rules.push(append('ISTIO_OUTPUT', '-p', 'tcp', ...ports, '-j', 'RETURN'));
    rules.push(append('ISTIO_OUTPUT', '-p', 'udp', ...ports, '-j', 'RETURN'));
  }
  rules.push(append('ISTIO_OUTPUT', '-o', 'lo', '-s', INBOUND_PASSTHROUGH_SOURCE[o.family], '-j', 'RETURN'));
  const included = o.includeOutboundIpRanges;
  rules.push(...ownerRules(o, included !== '*' && included.some(isLoopbackCidr)));
  // Envoy-aware apps and container-to-container traffic use localhost explicitly: never captured.
  rules.push(append('ISTIO_OUTPUT', '-d', LOOPBACK[o.family], '-j', 'RETURN'));
  for (const cidr of ofFamily(o.family, o.excludeOutboundIpRanges)) {
    rules.push(append('ISTIO_OUTPUT', '-d', cidr, '-j', 'RETURN'));
  }
  if (included === '*') {
    rules.push(append('ISTIO_OUTPUT', '-j', 'ISTIO_REDIRECT'));
  } else {
    for (const cidr of ofFamily(o.family, included))
      rules.push(append('ISTIO_OUTPUT', '-d', cidr, '-j', 'ISTIO_REDIRECT'));
  }
  return rules;
}

/**
 * The capture rules for one address family, as `iptables-restore --noflush` input and as commands.
 * Pure: nothing is applied. Throws a CaptureError `CAPTURE_INVALID_OPTIONS` for invalid options.
 */
export function istioCaptureRules(options: CaptureOptions = {}): IptablesRuleSet {
  const o = resolveCaptureOptions(options);
  const rules: IptablesRule[] = [
    ...ISTIO_CHAINS.map((chain): IptablesRule => ({ table: 'nat', operation: '-N', chain, args: [] })),
    // The HBONE tunnel port is for the proxy itself: never captured.
    append('ISTIO_INBOUND', '-p', 'tcp', '--dport', String(o.inboundTunnelPort), '-j', 'RETURN'),
    append('ISTIO_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(o.proxyPort)),
    append('ISTIO_IN_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(o.inboundCapturePort)),
    ...inboundRules(o),
    ...outboundRules(o),
  ];
  return ruleSet(o.family, rules);
}

/**
 * Undoes {@link istioCaptureRules} for the same options (istio-clean-iptables): deletes the jumps from
 * the built-in chains, then flushes and deletes the ISTIO_* chains. The restore text is atomic and
 * only applies if the rules are all there; the commands can instead be run one by one, ignoring
 * "does not exist" failures, to clean up after a partial setup.
 */
export function istioCleanupRules(options: CaptureOptions = {}): IptablesRuleSet {
  const capture = istioCaptureRules(options);
  const builtInJumps = capture.rules.filter(
    (r) => r.operation === '-A' && !(ISTIO_CHAINS as readonly string[]).includes(r.chain),
  );
  const rules: IptablesRule[] = [
    ...builtInJumps.map((r): IptablesRule => ({ ...r, operation: '-D' })),
    ...ISTIO_CHAINS.map((chain): IptablesRule => ({ table: 'nat', operation: '-F', chain, args: [] })),
    ...ISTIO_CHAINS.map((chain): IptablesRule => ({ table: 'nat', operation: '-X', chain, args: [] })),
  ];
  return ruleSet(capture.family, rules);
}
