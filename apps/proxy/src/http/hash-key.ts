import type { HeaderValues } from '@mesh/xds';

/**
 * The key a route's `hash_policy` gives a request, for consistent-hash load balancing (Istio's
 * DestinationRule `consistentHash`): the first policy that yields a value wins, as in Envoy — a
 * header, a cookie, a query parameter or the source IP. Undefined when none applies (the balancer
 * then picks at random, as Envoy does without a hash).
 */

type HashPolicy = {
  header?: { header_name: string };
  cookie?: { name: string };
  query_parameter?: { name: string };
  connection_properties?: { source_ip?: boolean };
};

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function hashKeyOf(
  policies: readonly HashPolicy[] | undefined,
  headers: HeaderValues,
  sourceIp: string,
): string | undefined {
  for (const policy of policies ?? []) {
    let value: string | undefined;
    if (policy.header) value = headers.get(policy.header.header_name.toLowerCase());
    else if (policy.cookie) value = cookieValue(headers.get('cookie'), policy.cookie.name);
    else if (policy.query_parameter) {
      const path = headers.get(':path') ?? '/';
      const q = path.indexOf('?');
      value =
        q < 0
          ? undefined
          : (new URLSearchParams(path.slice(q + 1)).get(policy.query_parameter.name) ?? undefined);
    } else if (policy.connection_properties?.source_ip) value = sourceIp;
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
