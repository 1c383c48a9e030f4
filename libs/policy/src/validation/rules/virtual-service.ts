import type {
  L4MatchAttributes,
  TLSMatchAttributes,
  VirtualServiceSpec,
} from '../../api/networking/virtual-service.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkExportTo, checkGatewayNames, checkLabels } from './common.js';
import { checkRouteDestinations, isJwtClaimHeader } from './destinations.js';
import { checkWildcardDomain, hostIsSubsetOf, hostsOverlap } from './hosts.js';
import { checkHttpRoute } from './http-route.js';
import { checkIpOrCidr, checkPort, isIpAddress } from './primitives.js';

/** VirtualService rules (Istio's `ValidateVirtualService`). */

/** Bound to gateways only: `gateways` is set and does not include the implicit sidecar gateway `mesh`. */
function appliesToGatewaysOnly(spec: VirtualServiceSpec): boolean {
  return (spec.gateways?.length ?? 0) > 0 && !spec.gateways?.includes('mesh');
}

/** Gateway-bound TLS VirtualServices may route Istio's auto-generated SNI names (`outbound_.80_._.host`). */
function checkGatewayHost(host: string, sni: boolean): string | undefined {
  if (sni && host.startsWith('outbound_.')) {
    return /^outbound_\.[0-8].*/.test(host)
      ? undefined
      : `domain name ${JSON.stringify(host)} invalid (label "outbound_" invalid)`;
  }
  return checkWildcardDomain(host);
}

export function checkVirtualService(spec: VirtualServiceSpec, namespace: string, c: FindingCollector): void {
  const hosts = spec.hosts ?? [];
  const gatewayOnly = appliesToGatewaysOnly(spec);
  const hasSni = (spec.tls ?? []).some((route) => route.match.some((m) => m.sniHosts.length > 0));
  if (hosts.length === 0) {
    // No hosts: a delegate VirtualService, only reachable through a root VirtualService's `delegate`.
    if ((spec.gateways?.length ?? 0) > 0)
      c.error('ROUTE_INVALID', 'spec.gateways', 'delegate virtual service must have no gateways specified');
    if ((spec.tls?.length ?? 0) > 0)
      c.error('ROUTE_INVALID', 'spec.tls', 'delegate virtual service must have no tls route specified');
    if ((spec.tcp?.length ?? 0) > 0)
      c.error('ROUTE_INVALID', 'spec.tcp', 'delegate virtual service must have no tcp route specified');
  }
  checkGatewayNames(spec.gateways, 'spec.gateways', c);
  if (!gatewayOnly) {
    spec.http?.forEach((route, i) =>
      route.match?.forEach((match, m) => {
        for (const map of ['headers', 'withoutHeaders'] as const) {
          for (const key of Object.keys(match[map] ?? {}).filter(isJwtClaimHeader)) {
            c.error(
              'ROUTE_INVALID',
              field(field(item(field(item('spec.http', i), 'match'), m), map), key),
              `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways`,
            );
          }
        }
      }),
    );
  }

  let allHostsValid = true;
  hosts.forEach((host, i) => {
    const problem = gatewayOnly ? checkGatewayHost(host, hasSni) : checkWildcardDomain(host);
    if (problem !== undefined && !isIpAddress(host)) {
      c.error('HOST_INVALID', item('spec.hosts', i), problem);
      allHostsValid = false;
    } else if (problem === undefined && !gatewayOnly && host === '*') {
      c.error(
        'HOST_INVALID',
        item('spec.hosts', i),
        'wildcard host * is not allowed for virtual services bound to the mesh gateway',
      );
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    hosts.forEach((a, i) =>
      hosts.slice(i + 1).forEach((b, j) => {
        if (hostsOverlap(a, b))
          c.error(
            'HOST_INVALID',
            item('spec.hosts', i + 1 + j),
            `duplicate hosts in virtual service: ${a} & ${b}`,
          );
      }),
    );
  }

  if ((spec.http?.length ?? 0) === 0 && (spec.tcp?.length ?? 0) === 0 && (spec.tls?.length ?? 0) === 0) {
    c.error('ROUTE_INVALID', 'spec', 'http, tcp or tls must be provided in virtual service');
  }
  spec.http?.forEach((route, i) => checkHttpRoute(route, item('spec.http', i), hosts.length === 0, c));
  spec.tls?.forEach((route, i) => {
    const at = item('spec.tls', i);
    if (route.match.length === 0)
      c.error('ROUTE_INVALID', field(at, 'match'), 'TLS route must have at least one match condition');
    route.match.forEach((match, m) =>
      checkTlsMatch(match, item(field(at, 'match'), m), spec, gatewayOnly, c),
    );
    if ((route.route?.length ?? 0) === 0)
      c.error('ROUTE_INVALID', field(at, 'route'), 'TLS route is required');
    checkRouteDestinations(route.route ?? [], field(at, 'route'), c);
  });
  spec.tcp?.forEach((route, i) => {
    const at = item('spec.tcp', i);
    route.match?.forEach((match, m) => checkL4Match(match, item(field(at, 'match'), m), c));
    if ((route.route?.length ?? 0) === 0)
      c.error('ROUTE_INVALID', field(at, 'route'), 'TCP route is required');
    checkRouteDestinations(route.route ?? [], field(at, 'route'), c);
  });
  checkExportTo(spec.exportTo, namespace, c);
  for (const list of ['http', 'tcp', 'tls'] as const)
    reportUnreachableRules(spec[list] ?? [], `spec.${list}`, c);
}

function checkL4Match(
  match: L4MatchAttributes | TLSMatchAttributes,
  path: string,
  c: FindingCollector,
): void {
  match.destinationSubnets?.forEach((subnet, i) =>
    c.check('ADDRESS_INVALID', item(field(path, 'destinationSubnets'), i), checkIpOrCidr(subnet)),
  );
  if (match.port !== undefined && match.port !== 0)
    c.check('PORT_INVALID', field(path, 'port'), checkPort(match.port));
  checkLabels(match.sourceLabels, field(path, 'sourceLabels'), c);
  checkGatewayNames(match.gateways, field(path, 'gateways'), c);
}

/** SNI hosts must be valid names and fall within the VirtualService's hosts. */
function checkTlsMatch(
  match: TLSMatchAttributes,
  path: string,
  spec: VirtualServiceSpec,
  gatewayOnly: boolean,
  c: FindingCollector,
): void {
  if (match.sniHosts.length === 0)
    c.error('ROUTE_INVALID', field(path, 'sniHosts'), 'TLS match must have at least one SNI host');
  match.sniHosts.forEach((sni, i) => {
    const at = item(field(path, 'sniHosts'), i);
    const problem = gatewayOnly ? checkGatewayHost(sni, true) : checkWildcardDomain(sni);
    if (problem !== undefined) {
      if (isIpAddress(sni))
        c.warning(
          'HOST_INVALID',
          at,
          `using an IP address (${JSON.stringify(sni)}) goes against SNI spec and most clients do not support this`,
        );
      else c.error('HOST_INVALID', at, problem);
      return;
    }
    const hosts = spec.hosts ?? [];
    if (!hosts.some((host) => hostIsSubsetOf(sni, host))) {
      c.error(
        'HOST_INVALID',
        at,
        `SNI host ${JSON.stringify(sni)} is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`,
      );
    }
  });
  checkL4Match(match, path, c);
}

interface MatchedRule {
  name?: string;
  match?: readonly object[];
}

/** JSON with sorted keys, ignoring match names: two matches are duplicates if they route the same traffic. */
function canonicalMatch(value: unknown, top = true): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalMatch(v, false)).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).filter(([key]) => !(top && key === 'name'));
  return `{${entries
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, v]) => `${JSON.stringify(key)}:${canonicalMatch(v, false)}`)
    .join(',')}}`;
}

/**
 * Routes are tried in order and the first match wins, so a rule after a catch-all rule, or whose every
 * match repeats an earlier one, never applies (Istio's IST0130 / IST0131 warnings).
 */
function reportUnreachableRules(rules: readonly MatchedRule[], path: string, c: FindingCollector): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  const ruleName = (rule: MatchedRule, index: number) =>
    rule.name === undefined ? `#${index}` : JSON.stringify(rule.name);
  rules.forEach((rule, index) => {
    const at = item(path, index);
    const matches = rule.match ?? [];
    if (catchAll >= 0) {
      const reason =
        matches.length === 0
          ? 'only the last rule can have no matches'
          : 'route without matches defined before';
      c.warning('RULE_UNREACHABLE', at, `virtualService rule ${ruleName(rule, index)} not used (${reason})`);
      return;
    }
    if (matches.length === 0) {
      catchAll = index;
      return;
    }
    let duplicates = 0;
    matches.forEach((match, m) => {
      const key = canonicalMatch(match);
      const earlier = seen.get(key);
      if (earlier === undefined) {
        seen.set(key, index);
        return;
      }
      duplicates += 1;
      const matchName =
        'name' in match && typeof match.name === 'string' ? JSON.stringify(match.name) : `#${m}`;
      c.warning(
        'MATCH_INEFFECTIVE',
        item(field(at, 'match'), m),
        `virtualService rule ${ruleName(rule, index)} match ${matchName} is not used (duplicate/overlapping match in rule ${ruleName(rules[earlier] ?? {}, earlier)})`,
      );
    });
    if (duplicates === matches.length)
      c.warning(
        'RULE_UNREACHABLE',
        at,
        `virtualService rule ${ruleName(rule, index)} not used (all matches used by prior rules)`,
      );
  });
}
