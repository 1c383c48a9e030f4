/**
 * Envoy matchers for AuthorizationPolicy values, as istiod builds them
 * (`pilot/pkg/security/authz/matcher`, `pilot/pkg/security/authz/model/generator.go`). Each function
 * returns the Envoy object, or throws {@link UnsupportedValue} for a value the target cannot express
 * (an HTTP-only attribute on a TCP chain, a malformed CIDR); the caller applies Istio's error rules.
 */

type Obj = Record<string, unknown>;

/** Raised for a value istiod would reject for this filter chain ("... is HTTP only", bad IP). */
export class UnsupportedValue extends Error {}

/** Istio authn filter whose dynamic metadata carries the JWT attributes (`istio_authn`). */
export const AUTHN_METADATA_FILTER = 'istio_authn';

const SPIFFE_PREFIX = 'spiffe://';

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function regex(pattern: string): Obj {
  return { safe_regex: { regex: pattern } };
}

/**
 * Istio's `StringMatcherWithPrefix`: `*` is any non-empty value, `*abc` a suffix, `abc*` a prefix,
 * anything else exact, with `prefix` (e.g. `spiffe://`) in front of the value.
 */
export function stringMatcher(value: string, prefix = ''): Obj {
  if (value === '*') return regex('.+');
  if (value.startsWith('*')) {
    const suffix = value.slice(1);
    return prefix === '' ? { suffix } : regex(`${escapeRegex(prefix)}.*${escapeRegex(suffix)}`);
  }
  if (value.endsWith('*')) return { prefix: prefix + value.slice(0, -1) };
  return { exact: prefix + value };
}

/** Istio's `HeaderMatcher`: `*` is a presence match (an empty header still matches). */
export function headerMatcher(name: string, value: string, ignoreCase = false): Obj {
  if (value === '*') return { name, present_match: true };
  const match = stringMatcher(value);
  return { name, string_match: ignoreCase ? { ...match, ignore_case: true } : match };
}

/** `ipBlocks`, `destination.ip`, ...: `10.0.0.0/8` or a bare address (a /32 or /128). */
export function cidrRange(value: string): Obj {
  const [address = '', length, extra] = value.split('/');
  const v6 = address.includes(':');
  const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address) && address.split('.').every((o) => Number(o) <= 255);
  if ((!v4 && !v6) || extra !== undefined) throw new UnsupportedValue(`invalid IP address ${value}`);
  const max = v6 ? 128 : 32;
  const prefixLen = length === undefined ? max : Number(length);
  if (!/^\d+$/.test(length ?? '0') || prefixLen > max) throw new UnsupportedValue(`invalid CIDR ${value}`);
  return { address_prefix: address, prefix_len: { value: prefixLen } };
}

export function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new UnsupportedValue(`invalid port ${value}`);
  return port;
}

export function httpOnly(key: string, forTcp: boolean): void {
  if (forTcp) throw new UnsupportedValue(`"${key}" is HTTP only`);
}

/** The peer's certificate identity (`authenticated.principal_name`, the URI SAN). */
export function authenticated(matcher: Obj): Obj {
  return { authenticated: { principal_name: matcher } };
}

/** `principals` / `source.principal`: `cluster.local/ns/default/sa/frontend` → `spiffe://...`. */
export function principalName(value: string): Obj {
  return authenticated(stringMatcher(value, SPIFFE_PREFIX));
}

/** `namespaces` / `source.namespace`: Istio's regex `.*\/ns/<ns>/.*`, `*` becoming `.*`. */
export function namespacePrincipal(value: string): Obj {
  return authenticated(regex(`.*/ns/${value.split('*').map(escapeRegex).join('.*')}/.*`));
}

/** `serviceAccounts` / `source.serviceAccount`: `<ns>/<sa>` or `<sa>` in the policy's namespace. */
export function serviceAccountPrincipal(value: string, policyNamespace: string): Obj {
  const slash = value.indexOf('/');
  const namespace = slash < 0 ? policyNamespace : value.slice(0, slash);
  const account = slash < 0 ? value : value.slice(slash + 1);
  return authenticated(
    regex(`spiffe://.+/ns/${escapeRegex(namespace)}/(.+/|)sa/${escapeRegex(account)}(/.+)?`),
  );
}

/** `trustDomains`: the SPIFFE authority of the peer's identity, with Istio's `*` forms. */
export function trustDomainPrincipal(value: string): Obj {
  let domain: string;
  if (value === '*') domain = '[^/]+';
  else if (value.startsWith('*')) domain = `[^/]*${escapeRegex(value.slice(1))}`;
  else if (value.endsWith('*')) domain = `${escapeRegex(value.slice(0, -1))}[^/]*`;
  else domain = escapeRegex(value);
  return authenticated(regex(`spiffe://${domain}/.*`));
}

/** JWT attributes Istio's authn filter publishes as dynamic metadata (`request.auth.*`). */
export function authnMetadata(path: readonly string[], value: string, list: boolean): Obj {
  const match = { string_match: stringMatcher(value) };
  return {
    metadata: {
      filter: AUTHN_METADATA_FILTER,
      path: path.map((key) => ({ key })),
      value: list ? { list_match: { one_of: match } } : match,
    },
  };
}
