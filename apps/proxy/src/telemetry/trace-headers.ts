/**
 * Parsing and printing of the trace-context headers Envoy understands: W3C Trace Context
 * (`traceparent`) and Zipkin's B3, both the multi-header form (`x-b3-*`) and the single `b3` header.
 * Pure functions over header values; what to do with them lives in trace-context.ts.
 */

/** A plain header map as Node gives it: lowercase names, repeated headers as arrays. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The trace an incoming request belongs to, read from one of the header formats. */
export interface IncomingTrace {
  format: 'w3c' | 'b3-single' | 'b3-multi';
  /** As received: 32 hex digits for W3C, 16 or 32 for B3. */
  traceId: string;
  /** The caller's span, which becomes the parent of ours. */
  spanId: string;
  /** Undefined when B3 defers the decision to us. */
  sampled: boolean | undefined;
  /** B3 debug (`x-b3-flags: 1`, `b3: ...-d`): always sample. */
  debug: boolean;
}

/** Only a sampling decision, without a trace to continue (`b3: 0`, or a lone `x-b3-sampled`). */
export interface SamplingOnly {
  sampled: boolean | undefined;
  debug: boolean;
}

const HEX_16 = /^[0-9a-f]{16}$/;
const HEX_16_OR_32 = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * One header's value when it was sent exactly once; repeated trace headers are ambiguous and the
 * W3C spec says to treat them as absent.
 */
export function singleHeader(headers: HeaderMap, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value.trim();
    if (value !== undefined && value.length === 1) return value[0]?.trim();
    return undefined;
  }
  return undefined;
}

/**
 * Parses `traceparent` by the W3C rules: version `ff` is invalid, version 00 has exactly four
 * fields, later versions may append fields, and all-zero trace or parent IDs are invalid.
 */
export function parseTraceparent(value: string): IncomingTrace | undefined {
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (isAllZero(traceId) || isAllZero(spanId)) return undefined;
  return {
    format: 'w3c',
    traceId,
    spanId,
    sampled: (parseInt(flags, 16) & 1) === 1,
    debug: false,
  };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** Parses the single `b3` header: `{trace}-{span}[-{1|0|d}[-{parent}]]`, or a bare `{1|0|d}`. */
export function parseB3Single(value: string): IncomingTrace | SamplingOnly | undefined {
  const parts = value.toLowerCase().split('-');
  if (parts.length === 1) {
    const decision = b3SingleSampling(parts[0] as string);
    return decision ?? undefined;
  }
  const [traceId, spanId, sampling, parent] = parts as [string, string, ...string[]];
  if (parts.length > 4 || !HEX_16_OR_32.test(traceId) || !HEX_16.test(spanId)) return undefined;
  if (parent !== undefined && !HEX_16.test(parent)) return undefined;
  if (isAllZero(traceId) || isAllZero(spanId)) return undefined;
  const decision = sampling === undefined ? { sampled: undefined, debug: false } : b3SingleSampling(sampling);
  if (!decision) return undefined;
  return { format: 'b3-single', traceId, spanId, ...decision };
}

function b3SingleSampling(value: string): SamplingOnly | undefined {
  if (value === 'd') return { sampled: true, debug: true };
  if (value === '1') return { sampled: true, debug: false };
  if (value === '0') return { sampled: false, debug: false };
  return undefined;
}

/** Parses the `x-b3-*` headers; a sampling decision alone is allowed (B3 "deny" requests). */
export function parseB3Multi(headers: HeaderMap): IncomingTrace | SamplingOnly | undefined {
  const traceId = singleHeader(headers, 'x-b3-traceid')?.toLowerCase();
  const spanId = singleHeader(headers, 'x-b3-spanid')?.toLowerCase();
  const debug = singleHeader(headers, 'x-b3-flags') === '1';
  const sampledValue = singleHeader(headers, 'x-b3-sampled')?.toLowerCase();
  // "true"/"false" are what old Zipkin clients send; B3 asks receivers to accept them.
  const sampled = debug
    ? true
    : sampledValue === '1' || sampledValue === 'true'
      ? true
      : sampledValue === '0' || sampledValue === 'false'
        ? false
        : undefined;
  if (traceId === undefined || spanId === undefined) {
    return sampled === undefined ? undefined : { sampled, debug };
  }
  if (!HEX_16_OR_32.test(traceId) || !HEX_16.test(spanId)) return undefined;
  if (isAllZero(traceId) || isAllZero(spanId)) return undefined;
  return { format: 'b3-multi', traceId, spanId, sampled, debug };
}

export function formatB3Single(
  traceId: string,
  spanId: string,
  sampled: boolean,
  debug: boolean,
  parentSpanId: string | undefined,
): string {
  const decision = debug ? 'd' : sampled ? '1' : '0';
  const parent = parentSpanId === undefined ? '' : `-${parentSpanId}`;
  return `${traceId}-${spanId}-${decision}${parent}`;
}

export function isIncomingTrace(value: IncomingTrace | SamplingOnly | undefined): value is IncomingTrace {
  return value !== undefined && 'traceId' in value;
}

function isAllZero(hex: string): boolean {
  return /^0+$/.test(hex);
}
