import { describe, expect, it } from 'vitest';

import type { ObjectMeta } from '../api/kubernetes/object-meta.js';
import type { AuthorizationPolicy } from '../api/resources.js';
import type { AuthorizationPolicySpec } from '../api/security/authorization-policy.js';
import { evaluateAuthorization, type AuthorizationDecision } from './authorization-decision.js';
import { buildAuthorizationModel } from './authorization-model.js';
import type { AuthorizationRequest } from './authorization-request.js';
import type { PolicyWorkload } from './workload-selection.js';

/** Istio's matching semantics on HTTP requests: each field, each string form, each combinator. */

function policy(
  namespace: string,
  name: string,
  spec: AuthorizationPolicySpec,
  metadata: Partial<ObjectMeta> = {},
): AuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace, ...metadata },
    spec,
  };
}

const FRONTEND = 'cluster.local/ns/default/sa/frontend';
const ORDERS = 'cluster.local/ns/default/sa/orders';
const backend: PolicyWorkload = { namespace: 'default', labels: { app: 'backend' } };

interface RequestShape {
  principal?: string;
  method?: string;
  path?: string;
  host?: string;
  port?: number;
  ip?: string;
  remoteIp?: string;
  headers?: Record<string, string | string[]>;
  auth?: AuthorizationRequest['requestAuth'];
  sni?: string;
  metadata?: AuthorizationRequest['filterMetadata'];
}

function http(shape: RequestShape = {}): AuthorizationRequest {
  return {
    source: {
      ...(shape.principal === undefined ? {} : { principal: shape.principal }),
      ip: shape.ip ?? '10.0.0.7',
      ...(shape.remoteIp === undefined ? {} : { remoteIp: shape.remoteIp }),
    },
    destination: { port: shape.port ?? 8080, ip: '10.0.0.20' },
    ...(shape.sni === undefined ? {} : { sni: shape.sni }),
    http: {
      host: shape.host ?? 'backend.default.svc.cluster.local',
      method: shape.method ?? 'GET',
      path: shape.path ?? '/api/users',
      headers: shape.headers ?? {},
    },
    ...(shape.auth === undefined ? {} : { requestAuth: shape.auth }),
    ...(shape.metadata === undefined ? {} : { filterMetadata: shape.metadata }),
  };
}

interface Case {
  name: string;
  policies: AuthorizationPolicy[];
  workload?: PolicyWorkload;
  request: AuthorizationRequest;
  expect: Partial<AuthorizationDecision>;
}

const allowRule = (rule: NonNullable<AuthorizationPolicySpec['rules']>[number]) =>
  policy('default', 'allow', { rules: [rule] });
const jwt = {
  claims: {
    iss: 'https://accounts.example.com',
    sub: 'alice',
    aud: ['shop'],
    azp: 'web-app',
    groups: ['dev', 'admins'],
  },
};

const cases: Case[] = [
  {
    name: 'a root-namespace DENY of plaintext (notPrincipals: ["*"]) applies mesh-wide',
    policies: [
      policy('istio-system', 'require-mtls', {
        action: 'DENY',
        rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }],
      }),
    ],
    request: http(),
    expect: { decision: 'DENY', policy: 'ns[istio-system]-policy[require-mtls]-rule[0]' },
  },
  {
    name: 'the same DENY lets any mTLS peer through',
    policies: [
      policy('istio-system', 'require-mtls', {
        action: 'DENY',
        rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }],
      }),
    ],
    request: http({ principal: ORDERS }),
    expect: { decision: 'ALLOW', code: 'NO_ALLOW_POLICY' },
  },
  {
    name: 'when two DENY rules match, Envoy reports the first by name, not the oldest',
    policies: [
      policy(
        'default',
        'z-deny',
        { action: 'DENY', rules: [{}] },
        { creationTimestamp: '2024-01-01T00:00:00Z' },
      ),
      policy(
        'default',
        'a-deny',
        { action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }, {}] },
        { creationTimestamp: '2024-02-01T00:00:00Z' },
      ),
    ],
    request: http(),
    expect: { decision: 'DENY', policy: 'ns[default]-policy[a-deny]-rule[0]' },
  },
  {
    name: 'hosts match case-insensitively',
    policies: [allowRule({ to: [{ operation: { hosts: ['API.example.com'] } }] })],
    request: http({ host: 'api.EXAMPLE.com' }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'a host with a port does not match the bare host name',
    policies: [allowRule({ to: [{ operation: { hosts: ['api.example.com'] } }] })],
    request: http({ host: 'api.example.com:8080' }),
    expect: { decision: 'DENY' },
  },
  {
    name: 'methods are case-sensitive',
    policies: [allowRule({ to: [{ operation: { methods: ['get'] } }] })],
    request: http({ method: 'GET' }),
    expect: { decision: 'DENY' },
  },
  {
    name: 'fields of one operation are ANDed: the right path on the wrong port is denied',
    policies: [allowRule({ to: [{ operation: { ports: ['9090'], paths: ['/metrics'] } }] })],
    request: http({ path: '/metrics', port: 8080 }),
    expect: { decision: 'DENY' },
  },
  {
    name: 'from entries are ORed: the second source (a namespace) matches',
    policies: [
      allowRule({ from: [{ source: { principals: [FRONTEND] } }, { source: { namespaces: ['ops'] } }] }),
    ],
    request: http({ principal: 'cluster.local/ns/ops/sa/prometheus' }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'fields of one source are ANDed: principal and namespace must both match',
    policies: [allowRule({ from: [{ source: { principals: [FRONTEND], namespaces: ['ops'] } }] })],
    request: http({ principal: FRONTEND }),
    expect: { decision: 'DENY' },
  },
  {
    name: 'serviceAccounts without a namespace mean the policy namespace',
    policies: [allowRule({ from: [{ source: { serviceAccounts: ['frontend'] } }] })],
    request: http({ principal: FRONTEND }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'ipBlocks with a CIDR match the peer address',
    policies: [
      allowRule({ from: [{ source: { ipBlocks: ['10.0.0.0/16'], notIpBlocks: ['10.0.9.0/24'] } }] }),
    ],
    request: http({ ip: '10.0.3.4' }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'remoteIpBlocks match the X-Forwarded-For client, not the gateway peer',
    policies: [allowRule({ from: [{ source: { remoteIpBlocks: ['203.0.113.0/24'] } }] })],
    request: http({ ip: '10.0.0.2', remoteIp: '203.0.113.9' }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'when request.headers[...]: header names are case-insensitive',
    policies: [allowRule({ when: [{ key: 'request.headers[x-user-role]', values: ['admin'] }] })],
    request: http({ headers: { 'X-User-Role': 'admin' } }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'when request.headers[...]: a missing header does not match',
    policies: [allowRule({ when: [{ key: 'request.headers[x-user-role]', values: ['*'] }] })],
    request: http(),
    expect: { decision: 'DENY' },
  },
  {
    name: 'repeated headers are merged with commas before matching',
    policies: [allowRule({ when: [{ key: 'request.headers[x-tag]', values: ['a,b'] }] })],
    request: http({ headers: { 'x-tag': ['a', 'b'] } }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'the same header sent with different casing is merged too',
    policies: [allowRule({ when: [{ key: 'request.headers[x-tag]', values: ['a,b'] }] })],
    request: http({ headers: { 'X-Tag': 'a', 'x-tag': 'b' } }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'requestPrincipals match the JWT <iss>/<sub>',
    policies: [
      allowRule({ from: [{ source: { requestPrincipals: ['https://accounts.example.com/alice'] } }] }),
    ],
    request: http({ auth: jwt }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'requestPrincipals: ["*"] requires a valid JWT',
    policies: [allowRule({ from: [{ source: { requestPrincipals: ['*'] } }] })],
    request: http({ principal: FRONTEND }),
    expect: { decision: 'DENY' },
  },
  {
    name: 'when request.auth.claims[groups] matches one element of a list claim',
    policies: [
      allowRule({
        when: [
          { key: 'request.auth.claims[groups]', values: ['admins'] },
          { key: 'request.auth.audiences', values: ['shop'] },
        ],
      }),
    ],
    request: http({ auth: jwt }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'path templates: /users/{*}/profile matches exactly one segment',
    policies: [allowRule({ to: [{ operation: { paths: ['/users/{*}/profile'] } }] })],
    request: http({ path: '/users/alice/team/profile' }),
    expect: { decision: 'DENY' },
  },
  {
    name: 'path templates: /files/{**} matches any depth',
    policies: [allowRule({ to: [{ operation: { paths: ['/files/{**}'] } }] })],
    request: http({ path: '/files/a/b/c.txt' }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'connection.sni matches the TLS server name',
    policies: [allowRule({ when: [{ key: 'connection.sni', values: ['*.svc.cluster.local'] }] })],
    request: http({ sni: 'outbound_.8080_._.backend.default.svc.cluster.local' }),
    expect: { decision: 'ALLOW' },
  },
  {
    name: 'an ALLOW rule with an unknown when key is skipped by istiod, so it denies',
    policies: [allowRule({ when: [{ key: 'request.header[x]', values: ['1'] }] })],
    request: http({ headers: { x: '1' } }),
    expect: { decision: 'DENY', code: 'NO_ALLOW_MATCHED' },
  },
  {
    name: 'experimental.envoy.filters.* reads Envoy metadata when the request carries it',
    policies: [
      allowRule({
        when: [{ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }],
      }),
    ],
    request: http({
      metadata: { 'envoy.filters.network.mysql_proxy': { 'db.table': ['select', 'update'] } },
    }),
    expect: { decision: 'ALLOW' },
  },
];

describe('evaluateAuthorization: HTTP', () => {
  it.each(cases)('$name', (c) => {
    const model = buildAuthorizationModel(c.policies, c.workload ?? backend);
    expect(evaluateAuthorization(model, c.request)).toMatchObject(c.expect);
  });

  it('explains an unknown Envoy metadata condition instead of silently failing', () => {
    const model = buildAuthorizationModel(
      [
        allowRule({
          when: [{ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }],
        }),
      ],
      backend,
    );
    const result = evaluateAuthorization(model, http());
    expect(result.decision).toBe('DENY');
    expect(result.notes).toEqual([
      'ns[default]-policy[allow]-rule[0]: experimental.envoy.filters.network.mysql_proxy[db.table] reads Envoy metadata of envoy.filters.network.mysql_proxy, which the request lacks',
    ]);
  });
});
