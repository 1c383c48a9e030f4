import { stringMatches } from './attribute-matchers.js';

/**
 * The request path as authorization sees it, and how `paths` values match it. Istio's
 * "Authorization Policy Normalization" page defines the normalization; the sidecar applies it before
 * the RBAC filter, in Envoy's order: unescape slashes (when enabled), canonicalize (RFC 3986 dot
 * segments, backslashes, unreserved percent-escapes), then merge slashes (when enabled).
 */

/** `meshConfig.pathNormalization.normalization`; Istio's default is `BASE`. */
export type PathNormalization = 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

/** `%2d %2e %30-%39 %41-%5a %5f %61-%7a %7e`: the unreserved characters BASE decodes. */
const UNRESERVED_ESCAPE = /%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;
const ESCAPED_SLASH = /%(2[fF]|5[cC])/g;

function decode(match: string): string {
  return String.fromCharCode(parseInt(match.slice(1), 16));
}

/** RFC 3986 §5.2.4 `remove_dot_segments` for an absolute path. */
export function removeDotSegments(path: string): string {
  if (!path.startsWith('/')) return path;
  const segments = path.split('/').slice(1);
  const output: string[] = [];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') output.pop();
      // `/a/b/..` resolves to the directory `/a/`, keeping its trailing slash.
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  });
  return `/${output.join('/')}`;
}

/**
 * Normalizes a raw request path (`:path`, query included) for matching. The query and fragment are
 * dropped ("Istio authorization policy will remove anything after the question mark"); `%00` is
 * rejected outright, as the sidecar answers such requests with 400.
 */
export function normalizeRequestPath(rawPath: string, mode: PathNormalization = 'BASE'): NormalizedPath {
  let path = rawPath.split(/[?#]/, 1)[0] ?? '';
  if (/%00/.test(path))
    return { ok: false, reason: 'the path contains %00, which Istio rejects with HTTP 400' };
  if (mode === 'NONE') return { ok: true, path };
  // One decoding pass per step, so `%252e` stays `%2e`: Istio never decodes twice.
  if (mode === 'DECODE_AND_MERGE_SLASHES') path = path.replace(ESCAPED_SLASH, decode);
  path = removeDotSegments(path.replace(UNRESERVED_ESCAPE, decode).replaceAll('\\', '/'));
  if (mode === 'MERGE_SLASHES' || mode === 'DECODE_AND_MERGE_SLASHES') path = path.replace(/\/{2,}/g, '/');
  return { ok: true, path };
}

/** Istio's path-template operators (`pkg/config/security`): one segment, and any remainder. */
const MATCH_ONE_SEGMENT = '{*}';
const MATCH_ANY_SEGMENTS = '{**}';

/** RFC 3986 `pchar` without `/`, the characters Envoy's URI-template globs accept. */
const PATH_CHAR = "a-zA-Z0-9\\-._~%!$&'()+,;:@=";

export function isPathTemplate(pattern: string): boolean {
  return pattern.includes(MATCH_ONE_SEGMENT) || pattern.includes(MATCH_ANY_SEGMENTS);
}

function templateRegExp(template: string): RegExp {
  const source = template
    .split(/(\{\*\*\}|\{\*\})/)
    .map((part) => {
      if (part === MATCH_ANY_SEGMENTS) return `[${PATH_CHAR}/]*`;
      if (part === MATCH_ONE_SEGMENT) return `[${PATH_CHAR}]+`;
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * One `paths` value against a normalized path: a URI template when it holds `{*}` (exactly one
 * segment) or `{**}` (any number of segments, last operator), else exact, `prefix*`, `*suffix` or `*`.
 */
export function pathMatches(pattern: string, path: string): boolean {
  if (isPathTemplate(pattern)) return templateRegExp(pattern).test(path);
  return stringMatches(pattern, path);
}
