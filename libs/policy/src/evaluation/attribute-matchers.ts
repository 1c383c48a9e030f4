/**
 * How one AuthorizationPolicy value matches one request attribute, following the Envoy matchers istiod
 * generates for it (`pilot/pkg/security/authz/matcher`, `.../model/generator.go`). Istio documents four
 * forms for every string field: exact `abc`, prefix `abc*`, suffix `*abc` and presence `*` ("will match
 * when value is not empty"). Absent attributes never match a value, so a `not*` list accepts them.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Istio's `StringMatcher`: `*` is the regex `.+`, so an empty or absent value never matches. */
export function stringMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return value.length > 0;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/**
 * Istio's `HeaderMatcher` (methods and `request.headers[...]`): `*` is Envoy's `present_match`, true
 * for any header that exists, even empty. Values are case-sensitive.
 */
export function headerMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return true;
  return stringMatches(pattern, value);
}

/** Istio's `HostMatcher`: like {@link headerMatches} on `:authority`, but case-insensitive. */
export function hostMatches(pattern: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  if (pattern === '*') return true;
  return stringMatches(pattern.toLowerCase(), host.toLowerCase());
}

/**
 * `principals` / `source.principal`: Istio prefixes the value with `spiffe://` and matches the peer
 * certificate's URI SAN, which is the same as matching the principal without the scheme.
 */
export function principalMatches(pattern: string, principal: string | undefined): boolean {
  return stringMatches(pattern, principal);
}

/**
 * `namespaces` / `source.namespace`: derived from the principal with Istio's regex `.*\/ns/<ns>/.*`,
 * where `*` in the value becomes `.*`. Plaintext peers have no principal and so no namespace.
 */
export function namespaceMatches(pattern: string, principal: string | undefined): boolean {
  if (principal === undefined) return false;
  const namespace = pattern.split('*').map(escapeRegExp).join('.*');
  return new RegExp(`^.*/ns/${namespace}/.*$`).test(principal);
}

/**
 * `serviceAccounts` / `source.serviceAccount`: `<namespace>/<name>` or `<name>` (in the policy's
 * namespace), matched with Istio's `spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?`.
 */
export function serviceAccountMatches(
  pattern: string,
  policyNamespace: string,
  principal: string | undefined,
): boolean {
  if (principal === undefined) return false;
  const slash = pattern.indexOf('/');
  const namespace = slash < 0 ? policyNamespace : pattern.slice(0, slash);
  const account = slash < 0 ? pattern : pattern.slice(slash + 1);
  const regex = `^spiffe://.+/ns/${escapeRegExp(namespace)}/(.+/|)sa/${escapeRegExp(account)}(/.+)?$`;
  return new RegExp(regex).test(`spiffe://${principal}`);
}

/** `trustDomains` / `source.trustDomain`: the trust domain is the principal up to its first `/`. */
export function trustDomainMatches(pattern: string, principal: string | undefined): boolean {
  if (principal === undefined) return false;
  const slash = principal.indexOf('/');
  return stringMatches(pattern, slash < 0 ? principal : principal.slice(0, slash));
}

/** A JWT's issuer and subject: `requestPrincipals` compare them separately. */
export interface JwtIdentity {
  issuer: string;
  subject: string;
}

/**
 * `requestPrincipals` / `request.auth.principal` (`<iss>/<sub>`), as Istio's generator matches the
 * JWT's `iss` and `sub` claims: the value is split at its last `/` (issuers are often URLs) and a
 * leading `*` applies to the issuer, a trailing `*` to the subject; a bare `*` needs both non-empty.
 */
export function requestPrincipalMatches(pattern: string, jwt: JwtIdentity | undefined): boolean {
  if (jwt === undefined) return false;
  const slash = pattern.lastIndexOf('/');
  const found = slash >= 0;
  const iss = found ? pattern.slice(0, slash) : pattern;
  const sub = found ? pattern.slice(slash + 1) : '';
  const { issuer, subject } = jwt;
  if (pattern === '*') return issuer.length > 0 && subject.length > 0;
  if (pattern.startsWith('*')) {
    if (!found) return issuer.length > 0 && subject.endsWith(pattern.slice(1));
    return (iss === '*' ? issuer.length > 0 : issuer.endsWith(iss.slice(1))) && subject === sub;
  }
  if (pattern.endsWith('*')) {
    if (!found) return issuer.startsWith(pattern.slice(0, -1)) && subject.length > 0;
    return issuer === iss && (sub === '*' ? subject.length > 0 : subject.startsWith(sub.slice(0, -1)));
  }
  return issuer === iss && subject === sub;
}

/**
 * JWT claim matching (`request.auth.claims[...]`, `audiences` from `aud`, `presenter` from `azp`):
 * a string claim must match, a list claim matches when any of its strings does. Other JSON types
 * never match a string pattern, as with Envoy's metadata matchers.
 */
export function claimMatches(pattern: string, claim: unknown): boolean {
  if (typeof claim === 'string') return stringMatches(pattern, claim);
  if (Array.isArray(claim))
    return claim.some((item) => typeof item === 'string' && stringMatches(pattern, item));
  return false;
}

/** The value at a nested claim path (`[a][b]` → `claims.a.b`). */
export function claimAt(
  claims: Readonly<Record<string, unknown>> | undefined,
  path: readonly string[],
): unknown {
  let current: unknown = claims;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The names inside brackets of a `when` key: `request.headers[x-user]` → `['x-user']`,
 * `request.auth.claims[a][b]` → `['a', 'b']`; `undefined` when the key is malformed.
 */
export function bracketNames(key: string, prefix: string): string[] | undefined {
  const rest = key.slice(prefix.length);
  const names = [...rest.matchAll(/\[([^[\]]+)\]/g)].map((match) => match[1] ?? '');
  return names.length > 0 && names.map((name) => `[${name}]`).join('') === rest ? names : undefined;
}
