import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

import { headerValues, type HeaderValues } from '@mesh/xds';

import type { HeaderMutation } from './route-decision.js';

/** Header handling shared by the HTTP/1.1 and HTTP/2 paths of the proxy. */

/** Connection-specific headers a proxy must not forward (RFC 9110 §7.6.1), plus HTTP/2 pseudo-headers. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
]);

/** The request as the router matches it: lower-case names, `:method`, `:path`, `:authority`, `:scheme`. */
export function routingHeaders(
  headers: IncomingHttpHeaders,
  method: string,
  path: string,
  authority: string,
  scheme: string,
): HeaderValues {
  return headerValues({
    ...(headers as Record<string, string | string[]>),
    ':method': method,
    ':path': path,
    ':authority': authority,
    ':scheme': scheme,
  });
}

/** The headers to send on: end-to-end only (`te: trailers` kept, which gRPC needs). */
export function forwardableHeaders(
  headers: IncomingHttpHeaders | OutgoingHttpHeaders,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionListed = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name) || connectionListed.has(name))
      continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  if (String(headers['te'] ?? '').includes('trailers')) out['te'] = 'trailers';
  return out;
}

/** Applies a route's header changes in place, as Envoy does: removals first, then additions. */
export function applyMutation(headers: Record<string, string | string[]>, mutation: HeaderMutation): void {
  for (const name of mutation.remove) delete headers[name];
  for (const { key, value, append } of mutation.set) {
    const existing = headers[key];
    if (append && existing !== undefined)
      headers[key] = [...(Array.isArray(existing) ? existing : [existing]), value];
    else headers[key] = value;
  }
}

/** The first value of a header. */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
