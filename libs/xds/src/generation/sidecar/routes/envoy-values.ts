import { parseDuration } from '@mesh/policy';

/** Small Envoy value builders shared by the sidecar route translation (canonical Envoy-YAML shapes). */

export type Obj = Record<string, unknown>;

/** Istio's "no timeout": a zero duration, which Envoy reads as disabled. */
export const NO_TIMEOUT: Obj = { seconds: 0 };

/** A Go-style duration (`1.5s`, `100ms`) as a protobuf Duration; undefined when absent or malformed. */
export function durationOf(text: string | undefined): Obj | undefined {
  if (text === undefined) return undefined;
  const nanos = parseDuration(text);
  if (nanos === undefined) return undefined;
  const seconds = Number(nanos / 1_000_000_000n);
  const rest = Number(nanos % 1_000_000_000n);
  return rest === 0 ? { seconds } : { seconds, nanos: rest };
}

/** Istio `Percent` (0.0–100.0) → FractionalPercent per million, truncated like Istio's `uint32(p * 10000)`. */
export function percentPerMillion(value: number | undefined): Obj {
  return { numerator: Math.trunc((value ?? 0) * 10000), denominator: 'MILLION' };
}

/** An integer percentage → FractionalPercent per hundred. */
export function percentPerHundred(value: number): Obj {
  return { numerator: value, denominator: 'HUNDRED' };
}

/** Istio's breadcrumb (`istioctl x describe` reads it): `filter_metadata.istio.config`, a Struct. */
export function configMetadata(
  kind: 'virtual-service' | 'destination-rule',
  namespace: string,
  name: string,
): Obj {
  return {
    filter_metadata: {
      istio: {
        fields: {
          config: { string_value: `/apis/networking.istio.io/v1/namespaces/${namespace}/${kind}/${name}` },
        },
      },
    },
  };
}

/** IPv6 literals are bracketed in Host headers (`[fd00::1]:80`). */
export function ipv6Compliant(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `host:port` as it appears in a Host header (Istio's `util.DomainName`). */
export function domainName(host: string, port: number): string {
  return `${ipv6Compliant(host)}:${port}`;
}
