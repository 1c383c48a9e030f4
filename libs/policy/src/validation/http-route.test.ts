import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const to = (host: string, extra: Record<string, unknown> = {}) => ({ destination: { host, ...extra } });
const simple = (http: Record<string, unknown>) => ({
  hosts: ['reviews'],
  http: [{ route: [to('reviews')], ...http }],
});

const ruleKinds: ValidationCase[] = [
  {
    name: 'an HTTP rule without route, redirect or directResponse is invalid',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ timeout: '1s' }] },
    expect: ['E ROUTE_INVALID spec.http[0]'],
  },
  {
    name: 'route and redirect together are invalid',
    kind: 'VirtualService',
    spec: simple({ redirect: { uri: '/v2' } }),
    expect: ['E ROUTE_INVALID spec.http[0]'],
    messages: ['HTTP route cannot contain both route and redirect'],
  },
  {
    name: 'route and directResponse together are invalid',
    kind: 'VirtualService',
    spec: simple({ directResponse: { status: 503 } }),
    expect: ['E ROUTE_INVALID spec.http[0]'],
  },
  {
    name: 'redirect and directResponse together are invalid',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ redirect: { uri: '/v2' }, directResponse: { status: 200 } }] },
    expect: ['E ROUTE_INVALID spec.http[0]'],
  },
  {
    name: "a direct response's bytes are base64, as the CRD's `format: byte` requires",
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      http: [
        { match: [{ uri: { prefix: '/a' } }], directResponse: { status: 200, body: { bytes: 'aGVsbG8=' } } },
        { directResponse: { status: 200, body: { bytes: 'not base64!' } } },
      ],
    },
    expect: ['E HTTP_POLICY_INVALID spec.http[1].directResponse.body.bytes'],
  },
  {
    name: 'a redirect with a fault is invalid',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ redirect: { uri: '/v2' }, fault: { abort: { httpStatus: 500 } } }] },
    expect: ['E ROUTE_INVALID spec.http[0]'],
  },
  {
    name: 'a redirect needs a uri, authority, scheme or port',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ redirect: { redirectCode: 302 } }] },
    expect: ['E HTTP_POLICY_INVALID spec.http[0].redirect'],
  },
  {
    name: 'a redirect code outside 3xx is invalid',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ redirect: { uri: '/x', redirectCode: 200 } }] },
    expect: ['E HTTP_POLICY_INVALID spec.http[0].redirect.redirectCode'],
  },
  {
    name: 'redirect port and derivePort are exclusive',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ redirect: { port: 8080, derivePort: 'FROM_REQUEST_PORT' } }] },
    expect: ['E ONE_OF spec.http[0].redirect'],
  },
  {
    name: 'a direct response status below 200 is invalid',
    kind: 'VirtualService',
    spec: { hosts: ['reviews'], http: [{ directResponse: { status: 101 } }] },
    expect: ['E HTTP_POLICY_INVALID spec.http[0].directResponse.status'],
  },
  {
    name: 'a direct response body is string or bytes, not both',
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      http: [{ directResponse: { status: 200, body: { string: 'ok', bytes: 'b2s=' } } }],
    },
    expect: ['E ONE_OF spec.http[0].directResponse.body'],
  },
  {
    name: 'a root rule that delegates may not route',
    kind: 'VirtualService',
    spec: simple({ delegate: { name: 'reviews-delegate', namespace: 'default' } }),
    expect: ['E ROUTE_INVALID spec.http[0]'],
  },
  {
    name: 'a delegating root rule is valid on its own',
    kind: 'VirtualService',
    spec: {
      hosts: ['reviews'],
      http: [{ match: [{ uri: { prefix: '/r' } }], delegate: { name: 'r', namespace: 'default' } }],
    },
    expect: [],
  },
  {
    name: 'mirror and mirrors are exclusive',
    kind: 'VirtualService',
    spec: simple({ mirror: { host: 'shadow' }, mirrors: [{ destination: { host: 'shadow2' } }] }),
    expect: ['E ROUTE_INVALID spec.http[0]'],
  },
  {
    name: 'a mirror percentage above 100 is invalid',
    kind: 'VirtualService',
    spec: simple({ mirror: { host: 'shadow' }, mirrorPercentage: { value: 150 } }),
    expect: ['E PERCENT_INVALID spec.http[0].mirrorPercentage.value'],
  },
  {
    name: 'mirrorPercent is deprecated',
    kind: 'VirtualService',
    spec: simple({ mirror: { host: 'shadow' }, mirrorPercent: 10 }),
    expect: ['W DEPRECATED spec.http[0].mirrorPercent'],
  },
];

const matchesAndPolicies: ValidationCase[] = [
  {
    name: 'a StringMatch with exact and prefix is invalid',
    kind: 'VirtualService',
    spec: simple({ match: [{ uri: { exact: '/a', prefix: '/b' } }] }),
    expect: ['E ONE_OF spec.http[0].match[0].uri'],
  },
  {
    name: 'an RE2-compatible regex is valid',
    kind: 'VirtualService',
    spec: simple({ match: [{ uri: { regex: '^/api/v[0-9]+/.*' } }] }),
    expect: [],
  },
  {
    name: 'a lookahead is not RE2 (JavaScript would accept it)',
    kind: 'VirtualService',
    spec: simple({ match: [{ uri: { regex: '^/(?!admin).*' } }] }),
    expect: ['E REGEX_INVALID spec.http[0].match[0].uri.regex'],
  },
  {
    name: 'a backreference in a header regex is not RE2',
    kind: 'VirtualService',
    spec: simple({ match: [{ headers: { 'x-user': { regex: '(a)\\1' } } }] }),
    expect: ['E REGEX_INVALID spec.http[0].match[0].headers["x-user"].regex'],
  },
  {
    name: 'an empty header prefix is invalid',
    kind: 'VirtualService',
    spec: simple({ match: [{ headers: { 'end-user': { prefix: '' } } }] }),
    expect: ['E ROUTE_INVALID spec.http[0].match[0].headers["end-user"].prefix'],
  },
  {
    name: 'an empty URI prefix is allowed',
    kind: 'VirtualService',
    spec: simple({ match: [{ uri: { prefix: '' } }] }),
    expect: [],
  },
  {
    name: 'withoutHeaders regex * means "present"',
    kind: 'VirtualService',
    spec: simple({ match: [{ withoutHeaders: { 'x-canary': { regex: '*' } } }] }),
    expect: [],
  },
  {
    name: 'a match port outside 1-65535 is invalid',
    kind: 'VirtualService',
    spec: simple({ match: [{ port: 65536 }] }),
    expect: ['E PORT_INVALID spec.http[0].match[0].port'],
  },
  {
    name: 'JWT claim routing is only for gateways',
    kind: 'VirtualService',
    spec: simple({ match: [{ headers: { '@request.auth.claims.group': { exact: 'admin' } } }] }),
    expect: ['E ROUTE_INVALID spec.http[0].match[0].headers["@request.auth.claims.group"]'],
  },
  {
    name: 'JWT claim routing on a gateway is valid',
    kind: 'VirtualService',
    spec: {
      hosts: ['api.example.com'],
      gateways: ['istio-system/gw'],
      http: [
        { match: [{ headers: { '@request.auth.claims.group': { exact: 'admin' } } }], route: [to('api')] },
      ],
    },
    expect: [],
  },
  {
    name: 'an invalid sourceNamespace is rejected',
    kind: 'VirtualService',
    spec: simple({ match: [{ sourceNamespace: 'Not_A_Label' }] }),
    expect: ['E ROUTE_INVALID spec.http[0].match[0].sourceNamespace'],
  },
  {
    name: 'durations in Go syntax are valid',
    kind: 'VirtualService',
    spec: simple({
      timeout: '1m30s',
      retries: { attempts: 3, perTryTimeout: '250ms', retryOn: '5xx,connect-failure,503' },
    }),
    expect: [],
  },
  {
    name: 'a timeout below 1ms is invalid',
    kind: 'VirtualService',
    spec: simple({ timeout: '500us' }),
    expect: ['E DURATION_INVALID spec.http[0].timeout'],
  },
  {
    name: 'a malformed timeout is invalid',
    kind: 'VirtualService',
    spec: simple({ timeout: '10 seconds' }),
    expect: ['E DURATION_INVALID spec.http[0].timeout'],
  },
  {
    name: 'sub-millisecond precision is invalid',
    kind: 'VirtualService',
    spec: simple({ timeout: '1.0005s' }),
    expect: ['E DURATION_INVALID spec.http[0].timeout'],
  },
  {
    name: 'an unknown retryOn policy is invalid',
    kind: 'VirtualService',
    spec: simple({ retries: { attempts: 2, retryOn: 'gateway-error,sometimes' } }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].retries.retryOn'],
  },
  {
    name: 'retry settings with zero attempts are invalid',
    kind: 'VirtualService',
    spec: simple({ retries: { perTryTimeout: '2s' } }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].retries'],
  },
  {
    name: 'a fault needs an abort or a delay',
    kind: 'VirtualService',
    spec: simple({ fault: {} }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].fault'],
  },
  {
    name: 'an abort status outside 200-600 is invalid',
    kind: 'VirtualService',
    spec: simple({ fault: { abort: { httpStatus: 999, percentage: { value: 10 } } } }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].fault.abort.httpStatus'],
  },
  {
    name: 'a fault percentage above 100 is invalid',
    kind: 'VirtualService',
    spec: simple({ fault: { delay: { fixedDelay: '5s', percentage: { value: 120 } } } }),
    expect: ['E PERCENT_INVALID spec.http[0].fault.delay.percentage.value'],
  },
  {
    name: 'an unknown gRPC abort status is invalid',
    kind: 'VirtualService',
    spec: simple({ fault: { abort: { grpcStatus: 'BROKEN' } } }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].fault.abort.grpcStatus'],
  },
  {
    name: 'rewrite uri and uriRegexRewrite are exclusive',
    kind: 'VirtualService',
    spec: simple({ rewrite: { uri: '/', uriRegexRewrite: { match: '^/a', rewrite: '/b' } } }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].rewrite'],
  },
  {
    name: 'rewriting the authority twice is invalid',
    kind: 'VirtualService',
    spec: simple({
      rewrite: { authority: 'a.example.com' },
      headers: { request: { set: { host: 'b.example.com' } } },
    }),
    expect: ['E HEADER_INVALID spec.http[0].headers.request.set.host'],
  },
  {
    name: 'a pseudo header cannot be set',
    kind: 'VirtualService',
    spec: simple({ headers: { request: { set: { ':path': '/x' } } } }),
    expect: ['E HEADER_INVALID spec.http[0].headers.request.set[":path"]'],
  },
  {
    name: 'a lone % in a header value is invalid for Envoy',
    kind: 'VirtualService',
    spec: simple({ headers: { response: { add: { 'x-ratio': '50%' } } } }),
    expect: ['E HEADER_INVALID spec.http[0].headers.response.add["x-ratio"]'],
  },
  {
    name: 'an unsupported CORS method is invalid',
    kind: 'VirtualService',
    spec: simple({
      corsPolicy: {
        allowOrigins: [{ exact: 'https://example.com' }],
        allowMethods: ['GET', 'FETCH'],
        maxAge: '24h',
      },
    }),
    expect: ['E HTTP_POLICY_INVALID spec.http[0].corsPolicy.allowMethods[1]'],
  },
  {
    name: 'CORS maxAge must be whole seconds',
    kind: 'VirtualService',
    spec: simple({ corsPolicy: { maxAge: '1500ms' } }),
    expect: ['E DURATION_INVALID spec.http[0].corsPolicy.maxAge'],
  },
];

describe('VirtualService HTTP rules', () => {
  describe('route, redirect and direct response', () => runCases(ruleKinds));
  describe('matches, durations, retries, faults, rewrites, headers, CORS', () =>
    runCases(matchesAndPolicies));
});
