/**
 * Envoy's string, header and query-parameter matchers, evaluated the way Envoy evaluates them
 * (`source/common/common/matchers.cc`, `source/common/http/header_utility.cc`). Route matching and
 * the RBAC engine use them on every request: compiled regexes are cached per matcher object, so
 * evaluating a config twice compiles nothing.
 */

/** `envoy.type.matcher.v3.StringMatcher`. */
export interface EnvoyStringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: { regex: string };
  ignore_case?: boolean;
}

/** `envoy.config.route.v3.HeaderMatcher` (also used for query parameters, minus the header fields). */
export interface EnvoyHeaderMatcher {
  name: string;
  exact_match?: string;
  prefix_match?: string;
  suffix_match?: string;
  contains_match?: string;
  safe_regex_match?: { regex: string };
  present_match?: boolean;
  string_match?: EnvoyStringMatcher;
  invert_match?: boolean;
  treat_missing_header_as_empty?: boolean;
}

/** Request headers by lower-cased name, repeated values joined with `,` as Envoy joins them. */
export type HeaderValues = ReadonlyMap<string, string>;

/** Builds `HeaderValues` from a plain record (names any case; lists joined with `,`). */
export function headerValues(headers: Readonly<Record<string, string | readonly string[]>>): HeaderValues {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    const joined = typeof value === 'string' ? value : value.join(',');
    const previous = out.get(key);
    out.set(key, previous === undefined ? joined : `${previous},${joined}`);
  }
  return out;
}

/** Raised for a regex Envoy would accept but JS cannot run the same way, or one Envoy would reject. */
export class UnsupportedRegexError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`regex ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'UnsupportedRegexError';
  }
}

const compiled = new WeakMap<object, RegExp>();

/**
 * An RE2 pattern as an anchored JS RegExp: Envoy's `safe_regex` must match the whole value. RE2 has no
 * backreferences or lookaround (Envoy NACKs them), so those are refused rather than run with JS
 * semantics; RE2's `(?P<name>` groups and a leading `(?i)` flag are translated.
 */
export function re2ToRegExp(pattern: string): RegExp {
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern))
    throw new UnsupportedRegexError(pattern, 'RE2 has no lookaround or backreferences');
  let source = pattern.replaceAll('(?P<', '(?<');
  let flags = '';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'i';
  }
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    throw new UnsupportedRegexError(pattern, (error as Error).message);
  }
}

/** The compiled form of `holder.regex`, compiled once per config object. */
export function regexOf(holder: { regex: string }): RegExp {
  let regex = compiled.get(holder);
  if (regex === undefined) {
    regex = re2ToRegExp(holder.regex);
    compiled.set(holder, regex);
  }
  return regex;
}

export function matchesString(matcher: EnvoyStringMatcher, value: string): boolean {
  if (matcher.safe_regex !== undefined) return regexOf(matcher.safe_regex).test(value);
  const fold = matcher.ignore_case === true;
  const input = fold ? value.toLowerCase() : value;
  const expected = (s: string) => (fold ? s.toLowerCase() : s);
  if (matcher.exact !== undefined) return input === expected(matcher.exact);
  if (matcher.prefix !== undefined) return input.startsWith(expected(matcher.prefix));
  if (matcher.suffix !== undefined) return input.endsWith(expected(matcher.suffix));
  if (matcher.contains !== undefined) return input.includes(expected(matcher.contains));
  return false;
}

/** The value test of a header matcher on a present value (before `invert_match`). */
function matchesValue(matcher: EnvoyHeaderMatcher, value: string): boolean {
  if (matcher.string_match !== undefined) return matchesString(matcher.string_match, value);
  // The deprecated `exact_match: ""` matches any value (Envoy's `value_.empty() ||`).
  if (matcher.exact_match !== undefined) return matcher.exact_match === '' || value === matcher.exact_match;
  if (matcher.prefix_match !== undefined) return value.startsWith(matcher.prefix_match);
  if (matcher.suffix_match !== undefined) return value.endsWith(matcher.suffix_match);
  if (matcher.contains_match !== undefined) return value.includes(matcher.contains_match);
  if (matcher.safe_regex_match !== undefined) return regexOf(matcher.safe_regex_match).test(value);
  if (matcher.present_match !== undefined) return matcher.present_match;
  // No match specifier: presence.
  return true;
}

/**
 * Envoy's `HeaderUtility::matchHeaders`. A missing header (unless treated as empty) matches only a
 * `present_match` that asks for absence, inverted or not: an inverted value match on a missing header
 * is false, which is why Istio sets `treat_missing_header_as_empty` on `withoutHeaders`.
 */
export function matchesHeader(matcher: EnvoyHeaderMatcher, headers: HeaderValues): boolean {
  let value = headers.get(matcher.name.toLowerCase());
  const isPresence = matcher.present_match !== undefined && matcher.string_match === undefined;
  if (value === undefined) {
    if (matcher.treat_missing_header_as_empty !== true) {
      if (!isPresence) return false;
      return matcher.invert_match === true ? matcher.present_match === true : matcher.present_match === false;
    }
    value = '';
  }
  return matchesValue(matcher, value) !== (matcher.invert_match === true);
}

/** `QueryParameterMatcher`: the first value of the parameter, not percent-decoded (as Envoy does). */
export function matchesQueryParameter(
  matcher: { name: string; string_match?: EnvoyStringMatcher; present_match?: boolean },
  query: string,
): boolean {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name !== matcher.name) continue;
    if (matcher.string_match === undefined) return true;
    return matchesString(matcher.string_match, eq < 0 ? '' : pair.slice(eq + 1));
  }
  return false;
}

/** The `:path` without query and fragment, as Envoy's `PathUtil::removeQueryAndFragment`. */
export function pathWithoutQuery(path: string): string {
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}
