import { describe, expect, it } from 'vitest';

import {
  forwardTraceContext,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  uuidV4,
} from '../../src/telemetry/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** Deterministic "random" bytes: 0x11, 0x22, ... repeating, so every ID is predictable. */
function sequence(): (size: number) => Uint8Array {
  let next = 0;
  return (size) => Uint8Array.from({ length: size }, () => (next = (next + 0x11) % 256));
}

describe('forwardTraceContext', () => {
  it('continues a W3C trace with a child span in both formats and keeps tracestate', () => {
    const { span, headers } = forwardTraceContext(
      {
        traceparent: `00-${TRACE}-${CALLER_SPAN}-01`,
        tracestate: 'congo=t61rcWkgMzE',
        host: 'reviews:9080',
      },
      { randomBytes: sequence() },
    );
    expect(span).toEqual({
      traceId: TRACE,
      spanId: '1122334455667788',
      parentSpanId: CALLER_SPAN,
      sampled: true,
      debug: false,
    });
    expect(headers).toMatchObject({
      host: 'reviews:9080',
      traceparent: `00-${TRACE}-1122334455667788-01`,
      tracestate: 'congo=t61rcWkgMzE',
      'x-b3-traceid': TRACE,
      'x-b3-spanid': '1122334455667788',
      'x-b3-parentspanid': CALLER_SPAN,
      'x-b3-sampled': '1',
    });
    expect(headers['b3']).toBeUndefined();
  });

  it('keeps the caller’s decision not to sample', () => {
    const { span } = forwardTraceContext(
      { traceparent: `00-${TRACE}-${CALLER_SPAN}-00` },
      { samplingPercentage: 100 },
    );
    expect(span.sampled).toBe(false);
  });

  it('continues a 64-bit B3 trace, answering B3 in its own width and W3C padded', () => {
    const { span, headers } = forwardTraceContext(
      { 'X-B3-TraceId': 'a3ce929d0e0e4736', 'x-b3-spanid': CALLER_SPAN, 'x-b3-sampled': '1' },
      { randomBytes: sequence() },
    );
    expect(span.traceId).toBe('0000000000000000a3ce929d0e0e4736');
    expect(headers['x-b3-traceid']).toBe('a3ce929d0e0e4736');
    expect(headers['X-B3-TraceId']).toBeUndefined();
    expect(headers['traceparent']).toBe(`00-${span.traceId}-${span.spanId}-01`);
    expect(headers['x-b3-parentspanid']).toBe(CALLER_SPAN);
  });

  it('continues a single-header b3 trace and rewrites that header', () => {
    const { span, headers } = forwardTraceContext(
      { b3: `${TRACE}-${CALLER_SPAN}-d-0000000000000001` },
      { randomBytes: sequence(), samplingPercentage: 0 },
    );
    expect(span).toMatchObject({ traceId: TRACE, parentSpanId: CALLER_SPAN, sampled: true, debug: true });
    expect(headers['b3']).toBe(`${TRACE}-${span.spanId}-d-${CALLER_SPAN}`);
    expect(headers['x-b3-flags']).toBe('1');
  });

  it('prefers a valid traceparent over B3 and falls back to B3 when it is invalid', () => {
    const b3 = { 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': CALLER_SPAN };
    const valid = forwardTraceContext({ ...b3, traceparent: `00-${TRACE}-${CALLER_SPAN}-01` });
    expect(valid.span.traceId).toBe(TRACE);
    const invalid = forwardTraceContext({
      ...b3,
      traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`,
      tracestate: 'stale=1',
    });
    expect(invalid.span.traceId).toBe('0000000000000000a3ce929d0e0e4736');
    expect(invalid.headers['tracestate']).toBeUndefined();
  });

  it('starts a new root trace when none is present, sampling by percentage', () => {
    const sampled = forwardTraceContext(
      {},
      { randomBytes: () => new Uint8Array(16).fill(0x01), samplingPercentage: 1 },
    );
    expect(sampled.span.parentSpanId).toBeUndefined();
    expect(sampled.span.traceId).toMatch(/^[0-9a-f]{32}$/);
    // 0x01010101 / 2^32 is under 1 %, so the 1 % sampler says yes.
    expect(sampled.span.sampled).toBe(true);
    expect(sampled.headers['x-b3-parentspanid']).toBeUndefined();

    const notSampled = forwardTraceContext(
      {},
      { randomBytes: () => new Uint8Array(16).fill(0x80), samplingPercentage: 1 },
    );
    expect(notSampled.span.sampled).toBe(false);
    expect(notSampled.headers['traceparent']).toMatch(/-00$/);
  });

  it('honours a bare B3 sampling decision on a new trace', () => {
    expect(forwardTraceContext({ b3: '0' }, { samplingPercentage: 100 }).span.sampled).toBe(false);
    expect(forwardTraceContext({ 'x-b3-sampled': '1' }, { samplingPercentage: 0 }).span.sampled).toBe(true);
  });

  it('never emits an all-zero ID even if the random source returns zeros', () => {
    const { span } = forwardTraceContext({}, { randomBytes: (size) => new Uint8Array(size) });
    expect(span.traceId).toBe(`${'0'.repeat(31)}1`);
    expect(span.spanId).toBe(`${'0'.repeat(15)}1`);
  });

  it('keeps x-request-id, or generates a UUID v4', () => {
    expect(forwardTraceContext({ 'x-request-id': 'abc' }).requestId).toBe('abc');
    const { requestId, headers } = forwardTraceContext({});
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(headers['x-request-id']).toBe(requestId);
  });

  it('treats a repeated trace header as absent', () => {
    const { span } = forwardTraceContext({
      traceparent: [`00-${TRACE}-${CALLER_SPAN}-01`, `00-${TRACE}-${CALLER_SPAN}-01`],
    });
    expect(span.traceId).not.toBe(TRACE);
  });
});

describe('trace header parsing', () => {
  it.each([
    [`00-${TRACE}-${CALLER_SPAN}-01`, true],
    [`01-${TRACE}-${CALLER_SPAN}-01-future`, true],
    [`00-${TRACE}-${CALLER_SPAN}-01-extra`, false],
    [`ff-${TRACE}-${CALLER_SPAN}-01`, false],
    [`00-${TRACE.toUpperCase()}-${CALLER_SPAN}-01`, false],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, false],
    [`00-${TRACE}-${CALLER_SPAN}`, false],
  ])('traceparent %s valid: %s', (value, valid) => {
    expect(parseTraceparent(value) !== undefined).toBe(valid);
  });

  it('parses b3 single forms', () => {
    expect(parseB3Single(`${TRACE}-${CALLER_SPAN}`)).toMatchObject({ sampled: undefined });
    expect(parseB3Single(`${TRACE}-${CALLER_SPAN}-0`)).toMatchObject({ sampled: false });
    expect(parseB3Single('d')).toEqual({ sampled: true, debug: true });
    expect(parseB3Single(`${TRACE}-${CALLER_SPAN}-x`)).toBeUndefined();
    expect(parseB3Single(`${TRACE}-short`)).toBeUndefined();
  });

  it('accepts legacy true/false x-b3-sampled values', () => {
    expect(
      parseB3Multi({ 'x-b3-traceid': TRACE, 'x-b3-spanid': CALLER_SPAN, 'x-b3-sampled': 'true' }),
    ).toMatchObject({
      sampled: true,
    });
    expect(parseB3Multi({ 'x-b3-sampled': 'false' })).toEqual({ sampled: false, debug: false });
    expect(parseB3Multi({ 'x-b3-traceid': 'zz', 'x-b3-spanid': CALLER_SPAN })).toBeUndefined();
  });

  it('makes RFC 9562 version-4 UUIDs', () => {
    expect(uuidV4(() => new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });
});
