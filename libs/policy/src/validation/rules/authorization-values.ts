import { isDns1123Label } from './primitives.js';

/**
 * The formats of single AuthorizationPolicy values (Istio's `pkg/config/security`): service accounts,
 * trust domains, ports and path templates. Each returns the problem, or undefined when the value is valid.
 */

/**
 * `<namespace>/<name>` or `<name>` (the policy's namespace), never a wildcard: a service account names
 * one identity, and `*` would silently widen it (Istio `CheckServiceAccount`; the same form is checked
 * for the `source.serviceAccount` condition).
 */
export function checkServiceAccount(value: string): string | undefined {
  if (value.includes('*'))
    return `wildcards are not allowed in service accounts, found ${JSON.stringify(value)}`;
  const parts = value.split('/');
  return parts.length <= 2 && parts.every((part) => part !== '')
    ? undefined
    : `invalid service account ${JSON.stringify(value)}: use <namespace>/<name> or <name>`;
}

/**
 * A trust domain, matched like the other source strings: exactly, or with one `*` as its first or last
 * character (`*`, `cluster-prefix-*`, `*.example.com`). The literal part is a DNS name or a piece of one.
 */
export function checkTrustDomain(value: string): string | undefined {
  const invalid = `trust domain name ${JSON.stringify(value)} invalid`;
  if (value === '*') return undefined;
  const wildcard = value.startsWith('*') || value.endsWith('*');
  const literal = wildcard ? value.replace(/^\*|\*$/, '') : value;
  if (literal.includes('*')) return invalid;
  if (wildcard) return /^[a-z0-9.-]+$/.test(literal) ? undefined : invalid;
  return literal.replace(/\.$/, '').split('.').every(isDns1123Label) ? undefined : invalid;
}

export function checkAuthorizationPort(port: string): string | undefined {
  return /^\d+$/.test(port) && Number(port) <= 65535 ? undefined : `bad port (${port})`;
}

const MATCH_ONE = '{*}';
const MATCH_ANY = '{**}';
/** RFC 3986 path characters without `/`, `*`, `{`, `}` and `?` (Istio `IsValidLiteral`). */
const LITERAL = /^[A-Za-z0-9\-._~%!$&'()+,;:@=]*$/;

/**
 * A path using `{*}` (one segment) or `{**}` (any number) is an Envoy URI template: every segment is an
 * operator or a literal, `{**}` appears once and no operator follows it (Istio `CheckValidPathTemplate`).
 * Paths without an operator are plain string matches (`/api/*`) and are not templates.
 */
export function checkPathTemplate(path: string, field: string): string | undefined {
  if (!path.includes(MATCH_ONE) && !path.includes(MATCH_ANY)) return undefined;
  let sawMatchAny = false;
  for (const segment of path.split('/')) {
    const operator = segment === MATCH_ONE || segment === MATCH_ANY;
    const valid = operator ? !sawMatchAny : LITERAL.test(segment);
    if (!valid) return `invalid or unsupported path template, found in ${field}`;
    if (segment === MATCH_ANY) sawMatchAny = true;
  }
  return undefined;
}
