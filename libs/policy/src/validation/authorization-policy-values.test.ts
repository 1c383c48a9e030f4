import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const paths = (...values: string[]) => ({ rules: [{ to: [{ operation: { paths: values } }] }] });
const source = (s: Record<string, string[]>) => ({ rules: [{ from: [{ source: s }] }] });
const PATH = 'spec.rules[0].to[0].operation.paths';

/** Istio: pkg/config/security `CheckValidPathTemplate` and its table in security_test.go. */
const pathTemplates: ValidationCase[] = [
  {
    name: '{*} segments and a trailing slash are valid',
    kind: 'AuthorizationPolicy',
    spec: paths('/{*}/foo', '/{*}/foo/'),
    expect: [],
  },
  {
    name: '{**} in the middle or at the end is valid, literals may follow it',
    kind: 'AuthorizationPolicy',
    spec: paths('/foo/{**}/bar', '/foo/bar/{**}'),
    expect: [],
  },
  {
    name: 'a plain string match with * is not a template',
    kind: 'AuthorizationPolicy',
    spec: paths('/api/*', '*/admin'),
    expect: [],
  },
  {
    name: '{**} followed by another operator is invalid ({**} must be the last operator)',
    kind: 'AuthorizationPolicy',
    spec: paths('/{**}/foo/temp/{*}/bar', '/{**}/{**}', '/{**}/foo/temp/{**}/bar'),
    expect: [
      `E AUTHZ_RULE_INVALID ${PATH}[0]`,
      `E AUTHZ_RULE_INVALID ${PATH}[1]`,
      `E AUTHZ_RULE_INVALID ${PATH}[2]`,
    ],
    messages: ['invalid or unsupported path template, found in paths'],
  },
  {
    name: 'an operator with other characters in its segment is invalid',
    kind: 'AuthorizationPolicy',
    spec: paths('/foo/{**}buzz/bar', '/{*}/foo/{*}.txt'),
    expect: [`E AUTHZ_RULE_INVALID ${PATH}[0]`, `E AUTHZ_RULE_INVALID ${PATH}[1]`],
  },
  {
    name: 'named variables, bare * and ** and stray braces are invalid in a template',
    kind: 'AuthorizationPolicy',
    spec: paths('/foo/{buzz=*}/bar/{**}', '/foo/{*}/bar/**/buzz', '/{*}/foo/{temp', '/{*}/foo/temp}/bar'),
    expect: [
      `E AUTHZ_RULE_INVALID ${PATH}[0]`,
      `E AUTHZ_RULE_INVALID ${PATH}[1]`,
      `E AUTHZ_RULE_INVALID ${PATH}[2]`,
      `E AUTHZ_RULE_INVALID ${PATH}[3]`,
    ],
  },
  {
    name: 'a literal outside RFC 3986 path characters is invalid in a template',
    kind: 'AuthorizationPolicy',
    spec: paths('/{*}/foo/?abc', "/{*}/-._~%20!$&'()+,;:@="),
    expect: [`E AUTHZ_RULE_INVALID ${PATH}[0]`],
  },
];

const SA = 'spec.rules[0].from[0].source';

/** Istio: pkg/config/security `CheckServiceAccount` and `ValidateAttribute` (source.serviceAccount). */
const serviceAccounts: ValidationCase[] = [
  {
    name: 'namespace/name and a bare name are valid',
    kind: 'AuthorizationPolicy',
    spec: source({ serviceAccounts: ['ns/sa', 'sa-only'], notServiceAccounts: ['ns/sa-not'] }),
    expect: [],
  },
  {
    name: 'a wildcard in serviceAccounts or notServiceAccounts is invalid',
    kind: 'AuthorizationPolicy',
    spec: source({ serviceAccounts: ['ns/*', '*'], notServiceAccounts: ['*/sa'] }),
    expect: [
      `E AUTHZ_RULE_INVALID ${SA}.serviceAccounts[0]`,
      `E AUTHZ_RULE_INVALID ${SA}.serviceAccounts[1]`,
      `E AUTHZ_RULE_INVALID ${SA}.notServiceAccounts[0]`,
    ],
    messages: ['wildcards are not allowed in service accounts'],
  },
  {
    name: 'a source.serviceAccount condition checks the same form',
    kind: 'AuthorizationPolicy',
    spec: {
      rules: [
        { when: [{ key: 'source.serviceAccount', values: ['ns/sa', 'too/many/slashes', '/emptyns'] }] },
      ],
    },
    expect: [
      'E AUTHZ_CONDITION_INVALID spec.rules[0].when[0].values[1]',
      'E AUTHZ_CONDITION_INVALID spec.rules[0].when[0].values[2]',
    ],
  },
];

/** Trust domains are matched like Istio's other source strings: exact, prefix*, *suffix or *. */
const trustDomains: ValidationCase[] = [
  {
    name: 'exact, prefix, suffix and * trust domains are valid',
    kind: 'AuthorizationPolicy',
    spec: source({
      trustDomains: ['cluster.local', 'cluster-prefix-*', '*.example.com', '*'],
      notTrustDomains: ['*-suffix'],
    }),
    expect: [],
  },
  {
    name: 'a * inside a trust domain, or an invalid name, is invalid',
    kind: 'AuthorizationPolicy',
    spec: source({ trustDomains: ['a*b.local', '*a*', 'Bad_Domain'] }),
    expect: [
      `E AUTHZ_RULE_INVALID ${SA}.trustDomains[0]`,
      `E AUTHZ_RULE_INVALID ${SA}.trustDomains[1]`,
      `E AUTHZ_RULE_INVALID ${SA}.trustDomains[2]`,
    ],
  },
];

describe('AuthorizationPolicy values', () => {
  describe('path templates', () => runCases(pathTemplates));
  describe('service accounts', () => runCases(serviceAccounts));
  describe('trust domains', () => runCases(trustDomains));
});
