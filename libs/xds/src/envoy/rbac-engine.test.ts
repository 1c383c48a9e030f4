import { describe, expect, it } from 'vitest';

import { headerValues, matchesHeader, re2ToRegExp } from './matchers.js';
import {
  evaluateEnvoyRbac,
  matchesPermission,
  matchesPrincipal,
  type EnvoyRbacConfig,
  type EnvoyRbacRequest,
} from './rbac-engine.js';

/** Envoy RBAC semantics, case by case, as the proxy will rely on them at runtime. */
const GET_API: EnvoyRbacRequest = {
  destinationPort: 8080,
  directRemoteIp: '10.1.2.3',
  peerCertificate: { uriSans: ['spiffe://cluster.local/ns/default/sa/frontend'] },
  headers: headerValues({
    ':method': 'GET',
    ':path': '/api/items?x=1',
    ':authority': 'backend',
    'x-tenant': 'acme',
  }),
};

const FRONTEND = {
  authenticated: { principal_name: { exact: 'spiffe://cluster.local/ns/default/sa/frontend' } },
};

describe('Envoy header matching', () => {
  const headers = headerValues({ 'x-a': 'v1' });
  it.each([
    ['a value match on a missing header is false', { name: 'x-b', string_match: { exact: 'v' } }, false],
    ['... even inverted', { name: 'x-b', string_match: { exact: 'v' }, invert_match: true }, false],
    [
      '... unless missing is treated as empty',
      { name: 'x-b', string_match: { exact: 'v' }, invert_match: true, treat_missing_header_as_empty: true },
      true,
    ],
    [
      'an inverted presence match holds for a missing header',
      { name: 'x-b', present_match: true, invert_match: true },
      true,
    ],
    ['present_match: false holds for a missing header', { name: 'x-b', present_match: false }, true],
    ['names are case-insensitive', { name: 'X-A', string_match: { prefix: 'v' } }, true],
    ['ignore_case folds the value', { name: 'x-a', string_match: { exact: 'V1', ignore_case: true } }, true],
    [
      'safe_regex must match the whole value',
      { name: 'x-a', string_match: { safe_regex: { regex: 'v' } } },
      false,
    ],
    ['the deprecated exact_match "" matches any value', { name: 'x-a', exact_match: '' }, true],
  ])('%s', (_, matcher, expected) => {
    expect(matchesHeader(matcher, headers)).toBe(expected);
  });

  it('refuses regexes RE2 would reject instead of running them with JS semantics', () => {
    expect(() => re2ToRegExp('(a)\\1')).toThrow(/RE2/);
    expect(() => re2ToRegExp('(?=a)a')).toThrow(/RE2/);
    expect(re2ToRegExp('(?i)abc').test('ABC')).toBe(true);
    expect(re2ToRegExp('(?P<v>[0-9]+)').test('42')).toBe(true);
  });
});

describe('Envoy RBAC permissions and principals', () => {
  it.each([
    ['url_path ignores the query', { url_path: { path: { exact: '/api/items' } } }, true],
    ['destination_port', { destination_port: 8080 }, true],
    ['destination_port_range is half-open', { destination_port_range: { start: 8000, end: 8080 } }, false],
    ['not_rule', { not_rule: { header: { name: ':method', string_match: { exact: 'GET' } } } }, false],
    ['and_rules', { and_rules: { rules: [{ any: true }, { destination_port: 9090 }] } }, false],
    ['or_rules', { or_rules: { rules: [{ destination_port: 9090 }, { destination_port: 8080 }] } }, true],
    [
      'metadata without metadata',
      { metadata: { filter: 'istio_authn', path: [{ key: 'x' }], value: { present_match: true } } },
      false,
    ],
  ])('permission: %s', (_, permission, expected) => {
    expect(matchesPermission(permission, GET_API)).toBe(expected);
  });

  it.each([
    ['authenticated exact', FRONTEND, true],
    [
      'authenticated safe_regex',
      { authenticated: { principal_name: { safe_regex: { regex: '.*/ns/default/.*' } } } },
      true,
    ],
    ['authenticated without a name: any certificate', { authenticated: {} }, true],
    [
      'direct_remote_ip in a /16',
      { direct_remote_ip: { address_prefix: '10.1.0.0', prefix_len: { value: 16 } } },
      true,
    ],
    [
      'direct_remote_ip outside a /32',
      { direct_remote_ip: { address_prefix: '10.1.2.4', prefix_len: { value: 32 } } },
      false,
    ],
    [
      'remote_ip falls back to the peer address',
      { remote_ip: { address_prefix: '10.0.0.0', prefix_len: { value: 8 } } },
      true,
    ],
    [
      'an IPv6 range never holds an IPv4 address',
      { direct_remote_ip: { address_prefix: '::', prefix_len: { value: 0 } } },
      false,
    ],
    ['header', { header: { name: 'x-tenant', string_match: { exact: 'acme' } } }, true],
    [
      'metadata when provided',
      {
        metadata: {
          filter: 'istio_authn',
          path: [{ key: 'request.auth.principal' }],
          value: { string_match: { prefix: 'https://issuer/' } },
        },
      },
      false,
    ],
  ])('principal: %s', (_, principal, expected) => {
    expect(matchesPrincipal(principal, GET_API)).toBe(expected);
  });

  it('matches JWT metadata when the authn filter provided it', () => {
    const withJwt = {
      ...GET_API,
      metadata: { istio_authn: { 'request.auth.principal': 'https://issuer/alice' } },
    };
    const principal = {
      metadata: {
        filter: 'istio_authn',
        path: [{ key: 'request.auth.principal' }],
        value: { string_match: { prefix: 'https://issuer/' } },
      },
    };
    expect(matchesPrincipal(principal, withJwt)).toBe(true);
  });

  it('a plaintext connection is never authenticated', () => {
    const { peerCertificate: _, ...plaintext } = GET_API;
    expect(matchesPrincipal({ authenticated: {} }, plaintext)).toBe(false);
  });
});

describe('evaluateEnvoyRbac', () => {
  const policy = (permissions: object[], principals: object[]) => ({ permissions, principals });
  const allowFrontend: EnvoyRbacConfig = {
    rules: {
      action: 'ALLOW',
      policies: {
        'z-rule': policy([{ any: true }], [FRONTEND]),
        'a-rule': policy([{ destination_port: 8080 }], [{ any: true }]),
      },
    },
  };

  it('reports the first matching policy by name, as Envoy’s sorted map does', () => {
    expect(evaluateEnvoyRbac(allowFrontend, GET_API)).toEqual({
      allowed: true,
      enforced: { action: 'ALLOW', allowed: true, policy: 'a-rule' },
    });
  });

  it('ALLOW with no policies denies everything; DENY with no match allows', () => {
    expect(evaluateEnvoyRbac({ rules: { action: 'ALLOW', policies: {} } }, GET_API).allowed).toBe(false);
    expect(
      evaluateEnvoyRbac(
        { rules: { action: 'DENY', policies: { d: policy([{ destination_port: 1 }], [{ any: true }]) } } },
        GET_API,
      ).allowed,
    ).toBe(true);
  });

  it('LOG never denies', () => {
    const log = {
      rules: { action: 'LOG' as const, policies: { l: policy([{ any: true }], [{ any: true }]) } },
    };
    expect(evaluateEnvoyRbac(log, GET_API)).toMatchObject({
      allowed: true,
      enforced: { action: 'LOG', policy: 'l' },
    });
  });

  it('shadow rules are reported and never enforced', () => {
    const shadowOnly: EnvoyRbacConfig = {
      shadow_rules: { action: 'DENY', policies: { dry: policy([{ any: true }], [{ any: true }]) } },
      shadow_rules_stat_prefix: 'istio_dry_run_deny_',
    };
    expect(evaluateEnvoyRbac(shadowOnly, GET_API)).toEqual({
      allowed: true,
      shadow: { action: 'DENY', allowed: false, policy: 'dry', statPrefix: 'istio_dry_run_deny_' },
    });
  });
});
