import { describe, expect, it } from 'vitest';

import { RetryBackoff } from '../src/agent/index.js';

describe('RetryBackoff', () => {
  it('doubles from the initial delay up to the cap and starts over after reset', () => {
    const backoff = new RetryBackoff({ initialMs: 100, maxMs: 1000 }, () => 0.5);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoff.failures).toBe(6);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('applies jitter either way but never exceeds the cap', () => {
    const high = new RetryBackoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0.999999);
    const low = new RetryBackoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0);
    expect(high.next()).toBe(120);
    expect(low.next()).toBe(80);
    for (let i = 0; i < 10; i++) high.next();
    expect(high.next()).toBe(1000);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new RetryBackoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new RetryBackoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => new RetryBackoff({ jitter: 2 })).toThrow(RangeError);
  });
});
