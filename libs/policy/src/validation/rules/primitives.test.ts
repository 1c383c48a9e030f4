import { describe, expect, it } from 'vitest';

import { checkNamespacedHost, checkWildcardDomain, hostIsSubsetOf, hostsOverlap } from './hosts.js';
import { checkDuration, checkIpOrCidr, checkLabelKey, checkRegex, parseDuration } from './primitives.js';

describe('durations (Go syntax, as Istio reads them)', () => {
  it.each([
    ['1s', 1_000_000_000n],
    ['100ms', 100_000_000n],
    ['1h', 3_600_000_000_000n],
    ['1m30s', 90_000_000_000n],
    ['1.5s', 1_500_000_000n],
    ['2h45m', 9_900_000_000_000n],
    ['0', 0n],
    ['-2s', -2_000_000_000n],
  ])('parses %s', (text, nanos) => expect(parseDuration(text)).toBe(nanos));

  it.each(['', '1', '10 s', 's', '1d', '1.s.'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('requires at least 1ms and millisecond precision', () => {
    expect(checkDuration('1ms')).toBeUndefined();
    expect(checkDuration('999us')).toMatch(/greater than 1ms/);
    expect(checkDuration('1500us')).toMatch(/ms precision/);
  });
});

describe('RE2 regular expressions', () => {
  it('accepts RE2 syntax, including named groups and classes', () => {
    expect(checkRegex('^/api/(?P<version>v[0-9]+)/\\w+$')).toBeUndefined();
  });

  it('rejects what JavaScript accepts but RE2 does not', () => {
    expect(() => new RegExp('(?<=/)admin')).not.toThrow();
    expect(checkRegex('(?<=/)admin')).toBeDefined();
    expect(checkRegex('(a)\\1')).toBeDefined();
  });

  it('rejects patterns longer than 1024 characters', () => {
    expect(checkRegex('a'.repeat(1025))).toMatch(/too large/);
  });
});

describe('hosts', () => {
  it.each(['reviews', 'reviews.default.svc.cluster.local', '*.example.com', '*', 'istio.io.'])(
    '%s is a valid host',
    (host) => expect(checkWildcardDomain(host)).toBeUndefined(),
  );

  it.each(['foo.*.com', 'a..b', '-bad.example.com', 'example.123', ''])('%j is an invalid host', (host) =>
    expect(checkWildcardDomain(host)).toBeDefined(),
  );

  it('scopes Sidecar hosts by namespace', () => {
    expect(checkNamespacedHost('istio-system/*', false)).toEqual([]);
    expect(checkNamespacedHost('~/*.example.com', false)).toEqual([]);
    expect(checkNamespacedHost('*.example.com', false)).toEqual(['host must be of form namespace/dnsName']);
    expect(checkNamespacedHost('*.example.com', true)).toEqual([]);
  });

  it('matches wildcards the way Istio does', () => {
    expect(hostsOverlap('*.example.com', 'api.example.com')).toBe(true);
    expect(hostsOverlap('api.example.com', 'web.example.com')).toBe(false);
    expect(hostIsSubsetOf('api.example.com', '*.example.com')).toBe(true);
    expect(hostIsSubsetOf('*.example.com', 'api.example.com')).toBe(false);
  });
});

describe('addresses and labels', () => {
  it('checks IPs and CIDR blocks', () => {
    expect(checkIpOrCidr('10.0.0.0/8')).toBeUndefined();
    expect(checkIpOrCidr('2001:db8::/32')).toBeUndefined();
    expect(checkIpOrCidr('10.0.0.0/33')).toBeDefined();
    expect(checkIpOrCidr('300.1.1.1')).toBeDefined();
  });

  it('checks label keys like Kubernetes', () => {
    expect(checkLabelKey('app.kubernetes.io/name')).toBeUndefined();
    expect(checkLabelKey('version')).toBeUndefined();
    expect(checkLabelKey('a/b/c')).toBeDefined();
    expect(checkLabelKey('-bad')).toBeDefined();
  });
});
