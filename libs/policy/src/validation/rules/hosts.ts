import { isDns1123Label, isIpAddress, isNamespaceName } from './primitives.js';

/**
 * Host name rules of Istio's webhook: FQDNs, short names, a wildcard only as the whole first label
 * (`*.example.com`, `*`), and the `namespace/host` form of Sidecar egress and Gateway server hosts.
 * Each check returns the reason a value is invalid, or undefined.
 */

/** A wildcard first label: `*`, `*foo`, `*-foo` or a plain label. */
const WILDCARD_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

function checkLength(name: string): string | undefined {
  if (name.length > 255) return `domain name ${JSON.stringify(name)} too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

function checkLabels(domain: string, whole = domain): string | undefined {
  const parts = domain.split('.');
  const topLevel = parts.at(-1) ?? '';
  if (/^-?\d+$/.test(topLevel)) {
    return `domain name ${JSON.stringify(whole)} invalid (top level domain ${JSON.stringify(topLevel)} cannot be all-numeric)`;
  }
  for (const [index, label] of parts.entries()) {
    // A trailing dot (`istio.io.`) is allowed: it names the root unambiguously.
    if (index === parts.length - 1 && label === '') return undefined;
    if (!isDns1123Label(label))
      return `domain name ${JSON.stringify(whole)} invalid (label ${JSON.stringify(label)} invalid)`;
  }
  return undefined;
}

/** A fully qualified or short DNS name, no wildcard. */
export function checkFqdn(name: string): string | undefined {
  return checkLength(name) ?? checkLabels(name);
}

/** A DNS name whose first label may be a wildcard (`*.example.com`, `*`); no wildcard anywhere else. */
export function checkWildcardDomain(name: string): string | undefined {
  const lengthError = checkLength(name);
  if (lengthError !== undefined) return lengthError;
  const dot = name.indexOf('.');
  const first = dot === -1 ? name : name.slice(0, dot);
  if (!WILDCARD_LABEL.test(first))
    return `domain name ${JSON.stringify(name)} invalid (label ${JSON.stringify(first)} invalid)`;
  return dot === -1 ? undefined : checkLabels(name.slice(dot + 1), name);
}

/** Only `*` or a `*.` prefix count as wildcards; `*foo.com` is a "partial wildcard". */
export function checkPartialWildcard(name: string): string | undefined {
  if (name.includes('*') && name !== '*' && !name.startsWith('*.')) {
    return `partial wildcard ${JSON.stringify(name)} not allowed`;
  }
  return undefined;
}

/** The host part of `namespace/host` in Sidecars and Gateways. */
function checkScopedHostPart(host: string, isGateway: boolean): string[] {
  const problems: string[] = [];
  if (host !== '*' && !host.includes('.')) problems.push('short names (non FQDN) are not allowed');
  const domainError = checkWildcardDomain(host);
  // A Gateway may also expose an IP address as a host.
  if (domainError !== undefined && !(isGateway && isIpAddress(host))) problems.push(domainError);
  const partial = checkPartialWildcard(host);
  if (partial !== undefined) problems.push(partial);
  return problems;
}

/**
 * `namespace/dnsName` (Sidecar egress hosts; Gateway server hosts, which also accept a bare host).
 * The namespace is `*`, `.`, `~` (Sidecar only: import nothing), `~<namespace>` (Sidecar only: all but
 * that namespace) or a namespace name.
 */
export function checkNamespacedHost(host: string, isGateway: boolean): string[] {
  const slash = host.indexOf('/');
  if (slash === -1) {
    return isGateway ? checkScopedHostPart(host, true) : ['host must be of form namespace/dnsName'];
  }
  const namespace = host.slice(0, slash);
  const name = host.slice(slash + 1);
  const problems: string[] = [];
  if (namespace === '' || name === '')
    problems.push('config namespace and dnsName in host entry cannot be empty');
  const special = namespace === '*' || namespace === '.' || (!isGateway && namespace === '~');
  // `~ns1/*` (Sidecar only) excludes what `ns1` exports from the listener's other hosts.
  const excluded =
    !isGateway && namespace.length > 1 && namespace.startsWith('~') ? namespace.slice(1) : namespace;
  if (namespace !== '' && !special && !isNamespaceName(excluded)) {
    problems.push(
      `invalid namespace value ${JSON.stringify(namespace)} in ${isGateway ? 'gateway' : 'sidecar'}`,
    );
  }
  if (name !== '') problems.push(...checkScopedHostPart(name, isGateway));
  return problems;
}

/** Whether a host is a wildcard (`*` or `*.suffix`). */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Istio's `host.Name.Matches`: two hosts overlap if they are equal or one wildcard covers the other
 * (`*.foo.com` and `bar.foo.com`, `*.com` and `*.foo.com`). Case-insensitive, as DNS is.
 */
export function hostsOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  if (x === '*' || y === '*') return true;
  const suffix = (h: string) => h.slice(1);
  if (isWildcardHost(x) && isWildcardHost(y))
    return suffix(x).endsWith(suffix(y)) || suffix(y).endsWith(suffix(x));
  if (isWildcardHost(x)) return y.endsWith(suffix(x));
  if (isWildcardHost(y)) return x.endsWith(suffix(y));
  return false;
}

/** Istio's `host.Name.SubsetOf`: every name `a` matches is also matched by `b`. */
export function hostIsSubsetOf(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (y === '*') return true;
  if (isWildcardHost(y)) return (isWildcardHost(x) ? x.slice(1) : x).endsWith(y.slice(1));
  return !isWildcardHost(x) && x === y;
}
