import {
  matchesHeader,
  matchesString,
  pathWithoutQuery,
  type EnvoyHeaderMatcher,
  type EnvoyStringMatcher,
  type HeaderValues,
} from './matchers.js';
import {
  cidrContains,
  matchesMetadata,
  type EnvoyCidrRange,
  type EnvoyMetadataMatcher,
  type FilterMetadata,
} from './addresses-and-metadata.js';

/**
 * Envoy's RBAC engine (`source/extensions/filters/common/rbac/`) over the config istiod generates:
 * the one evaluator the proxy enforces with and `meshctl` simulates with (DESIGN.md §3). Pure; the
 * only state is the regex and CIDR caches keyed by config objects.
 */

export interface EnvoyPermission {
  and_rules?: { rules: EnvoyPermission[] };
  or_rules?: { rules: EnvoyPermission[] };
  not_rule?: EnvoyPermission;
  any?: boolean;
  header?: EnvoyHeaderMatcher;
  url_path?: { path?: EnvoyStringMatcher };
  destination_ip?: EnvoyCidrRange;
  destination_port?: number;
  destination_port_range?: { start: number; end: number };
  requested_server_name?: EnvoyStringMatcher;
  metadata?: EnvoyMetadataMatcher;
}

export interface EnvoyPrincipal {
  and_ids?: { ids: EnvoyPrincipal[] };
  or_ids?: { ids: EnvoyPrincipal[] };
  not_id?: EnvoyPrincipal;
  any?: boolean;
  authenticated?: { principal_name?: EnvoyStringMatcher };
  source_ip?: EnvoyCidrRange;
  direct_remote_ip?: EnvoyCidrRange;
  remote_ip?: EnvoyCidrRange;
  header?: EnvoyHeaderMatcher;
  url_path?: { path?: EnvoyStringMatcher };
  metadata?: EnvoyMetadataMatcher;
}

export interface EnvoyRbacPolicy {
  permissions: EnvoyPermission[];
  principals: EnvoyPrincipal[];
}

export type EnvoyRbacAction = 'ALLOW' | 'DENY' | 'LOG';

export interface EnvoyRbacRules {
  action?: EnvoyRbacAction;
  policies?: Readonly<Record<string, EnvoyRbacPolicy>>;
}

/** The `typed_config` of `envoy.filters.http.rbac` or `envoy.filters.network.rbac`. */
export interface EnvoyRbacConfig {
  rules?: EnvoyRbacRules;
  shadow_rules?: EnvoyRbacRules;
  shadow_rules_stat_prefix?: string;
}

/** What the RBAC filter sees of one request or connection. */
export interface EnvoyRbacRequest {
  /** The downstream peer certificate when the connection is TLS with a client certificate. */
  peerCertificate?: { uriSans: readonly string[]; dnsSans?: readonly string[]; subject?: string };
  /** The downstream connection's peer address (`direct_remote_ip`, `source_ip`). */
  directRemoteIp?: string;
  /** The original client (X-Forwarded-For); defaults to `directRemoteIp`. */
  remoteIp?: string;
  destinationIp?: string;
  destinationPort: number;
  /** The TLS SNI, `''` when none. */
  requestedServerName?: string;
  /** HTTP only: lower-cased names including `:method`, `:path`, `:authority`; absent for TCP. */
  headers?: HeaderValues;
  /** Dynamic metadata by filter (e.g. `istio_authn`); absent metadata never matches. */
  metadata?: FilterMetadata;
}

export interface EnvoyRbacEngineResult {
  action: EnvoyRbacAction;
  /** The first matching policy by name (Envoy keeps policies in a sorted map). */
  policy?: string;
  /** Whether this engine's verdict allows the request (LOG always does). */
  allowed: boolean;
}

export interface EnvoyRbacResult {
  /** The enforced verdict: false means 403 "RBAC: access denied" (HTTP) or a closed connection (TCP). */
  allowed: boolean;
  /** The enforced engine's result; absent when the filter has only shadow rules. */
  enforced?: EnvoyRbacEngineResult;
  /** Shadow rules: evaluated and reported (`shadow_effective_policy_id`), never enforced. */
  shadow?: EnvoyRbacEngineResult & { statPrefix: string };
}

const NO_HEADERS: HeaderValues = new Map();

function pathMatches(matcher: { path?: EnvoyStringMatcher }, request: EnvoyRbacRequest): boolean {
  const path = request.headers?.get(':path');
  return (
    path !== undefined && matcher.path !== undefined && matchesString(matcher.path, pathWithoutQuery(path))
  );
}

export function matchesPermission(p: EnvoyPermission, request: EnvoyRbacRequest): boolean {
  if (p.any === true) return true;
  if (p.and_rules !== undefined) return p.and_rules.rules.every((r) => matchesPermission(r, request));
  if (p.or_rules !== undefined) return p.or_rules.rules.some((r) => matchesPermission(r, request));
  if (p.not_rule !== undefined) return !matchesPermission(p.not_rule, request);
  if (p.header !== undefined) return matchesHeader(p.header, request.headers ?? NO_HEADERS);
  if (p.url_path !== undefined) return pathMatches(p.url_path, request);
  if (p.destination_port !== undefined) return request.destinationPort === p.destination_port;
  if (p.destination_port_range !== undefined) {
    const { start, end } = p.destination_port_range;
    return request.destinationPort >= start && request.destinationPort < end;
  }
  if (p.destination_ip !== undefined) return cidrContains(p.destination_ip, request.destinationIp);
  if (p.requested_server_name !== undefined)
    return matchesString(p.requested_server_name, request.requestedServerName ?? '');
  if (p.metadata !== undefined) return matchesMetadata(p.metadata, request.metadata);
  // Rule types Istio never generates (uri_template, matcher extensions): no match, as if unknown.
  return false;
}

/** Envoy's AuthenticatedMatcher: URI SANs, then DNS SANs, then the subject; no TLS, no match. */
function authenticated(matcher: { principal_name?: EnvoyStringMatcher }, request: EnvoyRbacRequest): boolean {
  const cert = request.peerCertificate;
  if (cert === undefined) return false;
  const name = matcher.principal_name;
  if (name === undefined) return true;
  for (const san of cert.uriSans) if (matchesString(name, san)) return true;
  for (const san of cert.dnsSans ?? []) if (matchesString(name, san)) return true;
  return matchesString(name, cert.subject ?? '');
}

export function matchesPrincipal(p: EnvoyPrincipal, request: EnvoyRbacRequest): boolean {
  if (p.any === true) return true;
  if (p.and_ids !== undefined) return p.and_ids.ids.every((id) => matchesPrincipal(id, request));
  if (p.or_ids !== undefined) return p.or_ids.ids.some((id) => matchesPrincipal(id, request));
  if (p.not_id !== undefined) return !matchesPrincipal(p.not_id, request);
  if (p.authenticated !== undefined) return authenticated(p.authenticated, request);
  if (p.direct_remote_ip !== undefined) return cidrContains(p.direct_remote_ip, request.directRemoteIp);
  if (p.source_ip !== undefined) return cidrContains(p.source_ip, request.directRemoteIp);
  if (p.remote_ip !== undefined) return cidrContains(p.remote_ip, request.remoteIp ?? request.directRemoteIp);
  if (p.header !== undefined) return matchesHeader(p.header, request.headers ?? NO_HEADERS);
  if (p.url_path !== undefined) return pathMatches(p.url_path, request);
  if (p.metadata !== undefined) return matchesMetadata(p.metadata, request.metadata);
  return false;
}

const sortedNames = new WeakMap<object, readonly string[]>();

/** Policy names in Envoy's order (a `std::map`: byte order, which is code-unit order for ASCII). */
function policyNames(policies: Readonly<Record<string, EnvoyRbacPolicy>>): readonly string[] {
  let names = sortedNames.get(policies);
  if (names === undefined) {
    names = Object.keys(policies).sort();
    sortedNames.set(policies, names);
  }
  return names;
}

/** One engine: the first policy (by name) with a matching permission and a matching principal. */
export function evaluateRbacRules(rules: EnvoyRbacRules, request: EnvoyRbacRequest): EnvoyRbacEngineResult {
  const action = rules.action ?? 'ALLOW';
  const policies = rules.policies ?? {};
  let matched: string | undefined;
  for (const name of policyNames(policies)) {
    const policy = policies[name] as EnvoyRbacPolicy;
    if (
      policy.permissions.some((p) => matchesPermission(p, request)) &&
      policy.principals.some((p) => matchesPrincipal(p, request))
    ) {
      matched = name;
      break;
    }
  }
  const allowed =
    action === 'ALLOW' ? matched !== undefined : action === 'DENY' ? matched === undefined : true;
  return { action, allowed, ...(matched === undefined ? {} : { policy: matched }) };
}

/** One RBAC filter: `rules` decide (absent: allow), `shadow_rules` are only reported. */
export function evaluateEnvoyRbac(config: EnvoyRbacConfig, request: EnvoyRbacRequest): EnvoyRbacResult {
  const enforced = config.rules === undefined ? undefined : evaluateRbacRules(config.rules, request);
  const shadow =
    config.shadow_rules === undefined
      ? undefined
      : {
          ...evaluateRbacRules(config.shadow_rules, request),
          statPrefix: config.shadow_rules_stat_prefix ?? '',
        };
  return {
    allowed: enforced?.allowed ?? true,
    ...(enforced === undefined ? {} : { enforced }),
    ...(shadow === undefined ? {} : { shadow }),
  };
}
