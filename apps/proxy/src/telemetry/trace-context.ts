import { randomFillSync } from 'node:crypto';

import {
  formatB3Single,
  formatTraceparent,
  isIncomingTrace,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  singleHeader,
  type HeaderMap,
  type IncomingTrace,
  type SamplingOnly,
} from './trace-headers.js';

/** Every header this module reads or rewrites; the forwarded map holds only our versions of them. */
export const TRACE_HEADERS = [
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-request-id',
] as const;

/** Istio's default `pilot.traceSampling`: 1 % of new traces are sampled. */
export const DEFAULT_SAMPLING_PERCENTAGE = 1;

export interface TraceContextOptions {
  /** Source of randomness for IDs and sampling; injectable so tests are deterministic. */
  randomBytes?: (size: number) => Uint8Array;
  /** Chance in percent that a new trace, or one whose caller deferred the decision, is sampled. */
  samplingPercentage?: number;
}

/** The span this proxy opens for the forwarded request. */
export interface SpanContext {
  /** 32 hex digits (a 64-bit B3 trace ID is zero-padded on the left, as W3C requires). */
  traceId: string;
  /** Our new span, 16 hex digits. */
  spanId: string;
  /** The caller's span; absent when this proxy started the trace. */
  parentSpanId?: string;
  sampled: boolean;
  /** B3 debug: sampled regardless of sampling settings, flagged downstream. */
  debug: boolean;
}

export interface ForwardedTraceContext {
  span: SpanContext;
  /** The `x-request-id` (kept, or a new UUID v4). */
  requestId: string;
  /** The request headers to send upstream: the incoming ones with the trace headers rewritten. */
  headers: Record<string, string | readonly string[]>;
}

/**
 * What Envoy does to the trace headers of a request it forwards: continue the caller's trace with a
 * child span (same trace ID, a new span ID, the caller's span as parent, the caller's sampling
 * decision), or start a new trace when the request carries none; keep `x-request-id` or make one.
 * The result is written in both W3C and B3 forms so that applications instrumented with either
 * keep the trace going. `traceparent` is read first, then `b3`, then `x-b3-*`.
 */
export function forwardTraceContext(
  incoming: HeaderMap,
  options: TraceContextOptions = {},
): ForwardedTraceContext {
  const random = options.randomBytes ?? cryptoRandomBytes;
  const percentage = options.samplingPercentage ?? DEFAULT_SAMPLING_PERCENTAGE;
  const { trace, decision } = readIncomingTrace(incoming);

  const spanId = nonZeroHex(random, 8);
  const debug = decision?.debug ?? false;
  const sampled = debug || (decision?.sampled ?? sampleNewTrace(random, percentage));
  const span: SpanContext = trace
    ? { traceId: trace.traceId.padStart(32, '0'), spanId, parentSpanId: trace.spanId, sampled, debug }
    : { traceId: nonZeroHex(random, 16), spanId, sampled, debug };
  // A B3 caller gets its own trace ID width back; everyone else the full 128 bits.
  const b3TraceId = trace && trace.format !== 'w3c' ? trace.traceId : span.traceId;

  const headers: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || isTraceHeader(name)) continue;
    headers[name] = value;
  }

  headers['traceparent'] = formatTraceparent(span.traceId, span.spanId, span.sampled);
  const traceState = singleHeader(incoming, 'tracestate');
  // tracestate belongs to the traceparent it came with; a new or B3-continued trace drops it.
  if (trace?.format === 'w3c' && traceState) headers['tracestate'] = traceState;

  headers['x-b3-traceid'] = b3TraceId;
  headers['x-b3-spanid'] = span.spanId;
  if (span.parentSpanId) headers['x-b3-parentspanid'] = span.parentSpanId;
  headers['x-b3-sampled'] = span.sampled ? '1' : '0';
  if (span.debug) headers['x-b3-flags'] = '1';
  // Rewrite a single b3 header rather than drop it: a caller that sent it expects it back.
  if (singleHeader(incoming, 'b3') !== undefined) {
    headers['b3'] = formatB3Single(b3TraceId, span.spanId, sampled, debug, span.parentSpanId);
  }

  const requestId = singleHeader(incoming, 'x-request-id') || uuidV4(random);
  headers['x-request-id'] = requestId;
  return { span, requestId, headers };
}

function readIncomingTrace(headers: HeaderMap): {
  trace: IncomingTrace | undefined;
  decision: SamplingOnly | undefined;
} {
  const traceparent = singleHeader(headers, 'traceparent');
  const w3c = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  if (w3c) return { trace: w3c, decision: w3c };
  const single = singleHeader(headers, 'b3');
  const b3 = single === undefined ? undefined : parseB3Single(single);
  const multi = b3 === undefined ? parseB3Multi(headers) : b3;
  return isIncomingTrace(multi) ? { trace: multi, decision: multi } : { trace: undefined, decision: multi };
}

function isTraceHeader(name: string): boolean {
  return (TRACE_HEADERS as readonly string[]).includes(name.toLowerCase());
}

function sampleNewTrace(random: (size: number) => Uint8Array, percentage: number): boolean {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  const draw = Buffer.from(random(4)).readUInt32BE(0) / 2 ** 32;
  return draw * 100 < percentage;
}

/** Lowercase hex of `bytes` random bytes, never all zeros (zero IDs are invalid in W3C and B3). */
function nonZeroHex(random: (size: number) => Uint8Array, bytes: number): string {
  const id = Buffer.from(random(bytes));
  if (id.every((byte) => byte === 0)) id[bytes - 1] = 1;
  return id.toString('hex');
}

/** A random (version 4, RFC 9562 variant) UUID, the form Envoy generates for `x-request-id`. */
/**
 * Random bytes from a pool refilled 4 KiB at a time: one system call per ~200 requests instead of two
 * per request (trace and request IDs are on every request's path). Each slice is used once.
 */
const POOL = Buffer.allocUnsafe(4096);
let poolOffset = POOL.length;
function cryptoRandomBytes(size: number): Uint8Array {
  if (poolOffset + size > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const slice = POOL.subarray(poolOffset, poolOffset + size);
  poolOffset += size;
  return slice;
}

export function uuidV4(random: (size: number) => Uint8Array = cryptoRandomBytes): string {
  const b = Buffer.from(random(16));
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
