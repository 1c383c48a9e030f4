import type { Headers } from '@mesh/policy';

import type { Obj } from './envoy-values.js';

/** Envoy's header mutations for one Istio `Headers`, plus a Host rewrite when `:authority`/`host` is set. */
export interface HeaderOperations {
  request_headers_to_add?: Obj[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: Obj[];
  response_headers_to_remove?: string[];
  authority?: string;
}

/** Pseudo-headers and `host` cannot be mutated by Envoy; Istio drops them (and turns authority into a rewrite). */
function isInternal(key: string): boolean {
  return key.startsWith(':') || key.toLowerCase() === 'host';
}

function isAuthority(key: string): boolean {
  const lower = key.toLowerCase();
  return lower === ':authority' || lower === 'host';
}

/** `set` overwrites, `add` appends; each group sorted by key as Istio does. */
function headerOptions(
  headers: Readonly<Record<string, string>> | undefined,
  append: boolean,
): { options: Obj[]; authority?: string } {
  let authority: string | undefined;
  const options: Obj[] = [];
  for (const [key, value] of Object.entries(headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (isAuthority(key)) authority = value;
    if (isInternal(key)) continue;
    options.push({
      header: { key, value },
      append_action: append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD',
    });
  }
  return authority === undefined ? { options } : { options, authority };
}

/** Istio's `TranslateHeadersOperations`. */
export function headerOperations(headers: Headers | undefined): HeaderOperations {
  const out: HeaderOperations = {};
  const requestSet = headerOptions(headers?.request?.set, false);
  const requestAdd = headerOptions(headers?.request?.add, true);
  const responseSet = headerOptions(headers?.response?.set, false);
  const responseAdd = headerOptions(headers?.response?.add, true);
  const requestToAdd = [...requestSet.options, ...requestAdd.options];
  const responseToAdd = [...responseSet.options, ...responseAdd.options];
  const requestToRemove = (headers?.request?.remove ?? []).filter((k) => !isInternal(k));
  const responseToRemove = (headers?.response?.remove ?? []).filter((k) => !isInternal(k));
  if (requestToAdd.length > 0) out.request_headers_to_add = requestToAdd;
  if (requestToRemove.length > 0) out.request_headers_to_remove = requestToRemove;
  if (responseToAdd.length > 0) out.response_headers_to_add = responseToAdd;
  if (responseToRemove.length > 0) out.response_headers_to_remove = responseToRemove;
  // `set` wins over `add` for the authority.
  const authority = requestSet.authority ?? requestAdd.authority;
  if (authority !== undefined && authority !== '') out.authority = authority;
  return out;
}

/** The header mutation fields of an operations result, without the authority. */
export function headerFields(ops: HeaderOperations): Obj {
  const { authority: _authority, ...fields } = ops;
  return fields;
}

/** Appends one set of mutations to another (route-level plus single-destination headers). */
export function mergeHeaderFields(target: Obj, ops: HeaderOperations): void {
  for (const [key, value] of Object.entries(headerFields(ops)) as [string, unknown[]][]) {
    target[key] = [...((target[key] as unknown[] | undefined) ?? []), ...value];
  }
}
