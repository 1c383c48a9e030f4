/**
 * Milliseconds of a `google.protobuf.Duration` in canonical form (`{ seconds: "10", nanos }`; seconds is
 * a 64-bit integer, so a string), the one reader of Envoy durations; undefined when absent.
 */
export function durationMs(value: unknown): number | undefined {
  const d = value as { seconds?: string | number; nanos?: number } | undefined;
  if (d === undefined) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6);
}
