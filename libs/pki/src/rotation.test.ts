import { describe, expect, it } from 'vitest';

import { renewalDelayMs, renewalTime } from './rotation.js';

const notBefore = new Date('2030-01-01T00:00:00Z');
const notAfter = new Date('2030-01-02T00:00:00Z');
const lifetime = notAfter.getTime() - notBefore.getTime();
/** Where in the lifetime (0..1) renewal falls. */
const fraction = (date: Date) => (date.getTime() - notBefore.getTime()) / lifetime;

describe('renewalTime', () => {
  it('renews half-way through the lifetime without jitter', () => {
    expect(renewalTime({ notBefore, notAfter, jitter: 0 }).toISOString()).toBe('2030-01-01T12:00:00.000Z');
    expect(renewalTime({ notBefore, notAfter, random: () => 0.5 }).toISOString()).toBe(
      '2030-01-01T12:00:00.000Z',
    );
  });

  it('stays within 50% ± 1% of the lifetime with the default jitter', () => {
    expect(fraction(renewalTime({ notBefore, notAfter, random: () => 0 }))).toBeCloseTo(0.51, 9);
    expect(fraction(renewalTime({ notBefore, notAfter, random: () => 0.999999999 }))).toBeCloseTo(0.49, 6);
    const samples = Array.from({ length: 1000 }, () => fraction(renewalTime({ notBefore, notAfter })));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0.49);
    expect(Math.max(...samples)).toBeLessThanOrEqual(0.51);
    expect(new Set(samples).size).toBeGreaterThan(900);
  });

  it('treats the ratio as the share of the lifetime left at renewal, clamped to the lifetime', () => {
    expect(fraction(renewalTime({ notBefore, notAfter, ratio: 0.2, jitter: 0 }))).toBeCloseTo(0.8, 9);
    expect(fraction(renewalTime({ notBefore, notAfter, ratio: 1, jitter: 0.5, random: () => 0.99 }))).toBe(0);
    expect(fraction(renewalTime({ notBefore, notAfter, ratio: 0, jitter: 0.5, random: () => 0 }))).toBe(1);
  });

  it('refuses nonsense', () => {
    const code = expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' });
    expect(() => renewalTime({ notBefore: notAfter, notAfter: notBefore })).toThrow(code);
    expect(() => renewalTime({ notBefore, notAfter, ratio: 1.5 })).toThrow(code);
    expect(() => renewalTime({ notBefore: new Date(NaN), notAfter })).toThrow(code);
  });
});

describe('renewalDelayMs', () => {
  it('counts from now, never below zero, never beyond what setTimeout accepts', () => {
    expect(renewalDelayMs({ notBefore, notAfter, jitter: 0, now: notBefore })).toBe(lifetime / 2);
    expect(renewalDelayMs({ notBefore, notAfter, jitter: 0, now: notAfter })).toBe(0);
    const longLived = { notBefore, notAfter: new Date('2040-01-01T00:00:00Z'), jitter: 0, now: notBefore };
    expect(renewalDelayMs(longLived)).toBe(2 ** 31 - 1);
  });
});
