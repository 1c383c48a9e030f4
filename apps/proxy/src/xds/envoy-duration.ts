/** Milliseconds of an Envoy `google.protobuf.Duration` in canonical form (`{ seconds: "10", nanos }`). */
export function durationMs(value: unknown): number | undefined {
  const d = value as { seconds?: string | number; nanos?: number } | undefined;
  if (d === undefined) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6);
}
