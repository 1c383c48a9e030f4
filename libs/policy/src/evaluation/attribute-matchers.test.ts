import { describe, expect, it } from 'vitest';

import {
  namespaceMatches,
  requestPrincipalMatches,
  serviceAccountMatches,
  stringMatches,
  trustDomainMatches,
} from './attribute-matchers.js';
import { normalizeRequestPath, pathMatches, type PathNormalization } from './http-path.js';
import { cidrContains, parseCidrRange, parseIpAddress } from './ip-ranges.js';

/** The building blocks: Istio's string forms, path normalization, identities and IP ranges. */

describe('normalizeRequestPath (istio.io "Authorization Policy Normalization")', () => {
  it.each<[string, PathNormalization, string]>([
    ['/some/%61%62%63', 'BASE', '/some/abc'],
    ['/public/./data/abc/../xyz', 'BASE', '/public/data/xyz'],
    ['/some\\data', 'BASE', '/some/data'],
    ['/some%2fdata', 'BASE', '/some%2fdata'],
    ['/some%2fdata/%61%62%63', 'DECODE_AND_MERGE_SLASHES', '/some/data/abc'],
    ['/some//data///abc', 'BASE', '/some//data///abc'],
    ['/some//data///abc', 'MERGE_SLASHES', '/some/data/abc'],
    ['/a/%252e%252e/b', 'BASE', '/a/%252e%252e/b'],
    ['/api/users?role=admin#top', 'BASE', '/api/users'],
    ['/api/../admin', 'NONE', '/api/../admin'],
    ['/a/b/..', 'BASE', '/a/'],
  ])('%s with %s → %s', (raw, mode, expected) => {
    expect(normalizeRequestPath(raw, mode)).toEqual({ ok: true, path: expected });
  });

  it('rejects %00 like the sidecar (HTTP 400)', () => {
    expect(normalizeRequestPath('/files/a%00.txt')).toMatchObject({ ok: false });
  });
});

describe('string matching', () => {
  it.each<[string, string | undefined, boolean]>([
    ['abc', 'abc', true],
    ['abc*', 'abcd', true],
    ['abc*', 'abc', true],
    ['*abc', 'xabc', true],
    ['*', 'anything', true],
    ['*', '', false],
    ['*', undefined, false],
    ['abc', 'ABC', false],
  ])('%j against %j is %j', (pattern, value, expected) => {
    expect(stringMatches(pattern, value)).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['/api/*', '/api/users', true],
    ['*.png', '/img/logo.png', true],
    ['/users/{*}', '/users/alice', true],
    ['/users/{*}', '/users/', false],
    ['/users/{*}/keys/{**}', '/users/alice/keys', false],
    ['/users/{*}/keys/{**}', '/users/alice/keys/ssh/1', true],
  ])('path %j against %j is %j', (pattern, path, expected) => {
    expect(pathMatches(pattern, path)).toBe(expected);
  });
});

describe('identities derived from the peer principal', () => {
  const principal = 'cluster.local/ns/frontend-ns/sa/web';
  it.each<[string, (value: string) => boolean, string, boolean]>([
    ['namespace', (v) => namespaceMatches(v, principal), 'frontend-ns', true],
    ['namespace prefix', (v) => namespaceMatches(v, principal), 'frontend*', true],
    ['namespace is not a substring match', (v) => namespaceMatches(v, principal), 'frontend', false],
    [
      'service account with namespace',
      (v) => serviceAccountMatches(v, 'other', principal),
      'frontend-ns/web',
      true,
    ],
    [
      'service account in the policy namespace',
      (v) => serviceAccountMatches(v, 'frontend-ns', principal),
      'web',
      true,
    ],
    ['service account name is exact', (v) => serviceAccountMatches(v, 'frontend-ns', principal), 'we', false],
    ['trust domain', (v) => trustDomainMatches(v, principal), 'cluster.local', true],
  ])('%s: %s', (_name, matches, value, expected) => {
    expect(matches(value)).toBe(expected);
  });

  it('plaintext peers have no namespace', () => {
    expect(namespaceMatches('*', undefined)).toBe(false);
  });
});

describe('requestPrincipals (<iss>/<sub>, split at the last slash)', () => {
  const alice = { issuer: 'https://accounts.example.com', subject: 'alice' };
  it.each<[string, boolean]>([
    ['https://accounts.example.com/alice', true],
    ['https://accounts.example.com/*', true],
    ['*/alice', true],
    ['*example.com/alice', true],
    ['https://accounts.example.com/bob', false],
    // Istio splits at the last `/` even inside the scheme, so this names issuer `https:/`: no match.
    ['https://accounts*', false],
    ['*', true],
  ])('%j', (pattern, expected) => {
    expect(requestPrincipalMatches(pattern, alice)).toBe(expected);
  });

  it('never matches without a JWT', () => {
    expect(requestPrincipalMatches('*', undefined)).toBe(false);
  });
});

describe('IP ranges', () => {
  it.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['203.0.113.4', '203.0.113.4', true],
    ['203.0.113.4', '203.0.113.5', false],
    ['2001:db8::/32', '2001:db8:1::7', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::ffff:10.0.0.0/104', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', false],
  ])('%s contains %s: %j', (range, address, expected) => {
    expect(cidrContains(parseCidrRange(range)!, parseIpAddress(address)!)).toBe(expected);
  });

  it.each(['10.0.0.0/33', '10.0.0', '300.1.1.1', '2001:db8:::1', 'example.com', '010.0.0.1'])(
    'rejects %j',
    (text) => {
      expect(parseCidrRange(text)).toBeUndefined();
    },
  );
});
