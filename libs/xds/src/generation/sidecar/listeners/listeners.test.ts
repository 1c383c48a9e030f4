import { join } from 'node:path';

import { buildAuthorizationModel, loadYaml } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { describe, expect, it } from 'vitest';

import { expectGolden, expectValidEnvoy, goldenCases, readCase } from '../../../../test/golden.js';
import { TypeUrl } from '../../../type-urls.js';
import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  type MeshSettings,
  type SidecarProxy,
} from '../sidecar-context.js';
import { buildRbacFilters } from './rbac-filters.js';
import { generateSidecarListeners } from './sidecar-listeners.js';

/**
 * Golden tests: `testdata/sidecar-listeners/<case>.in.yaml` (Istio and Kubernetes YAML) →
 * `<case>.out.yaml` (the sidecar's listeners). `UPDATE_GOLDEN=1 npx vitest run` rewrites the outputs.
 */
const DIR = join(import.meta.dirname, '..', '..', 'testdata', 'sidecar-listeners');

const REVIEWS: SidecarProxy = {
  id: 'sidecar~10.0.0.7~reviews-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'reviews', version: 'v1' },
  ipAddresses: ['10.0.0.7'],
  serviceAccount: 'reviews',
};

/** The proxy and mesh settings of cases that differ from reviews-1 in a default mesh. */
const CASE_OPTIONS: Record<string, { proxy?: SidecarProxy; mesh?: Partial<MeshSettings> }> = {
  'authz-allow-frontend-deny-admin': {
    proxy: {
      id: 'sidecar~10.0.0.9~backend-1.default~default.svc.cluster.local',
      namespace: 'default',
      labels: { app: 'backend' },
      ipAddresses: ['10.0.0.9'],
      serviceAccount: 'backend',
    },
  },
  'registry-only': { mesh: { outboundTrafficPolicy: 'REGISTRY_ONLY' } },
  'mesh-mtls-tls13': {
    mesh: {
      meshMtls: {
        minProtocolVersion: 'TLSV1_3',
        cipherSuites: ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
      },
    },
  },
};

function snapshotOf(text: string, name: string): MeshSnapshot {
  expect(loadYaml(text, `${name}.in.yaml`).findings).toEqual([]);
  return MeshSnapshot.fromYaml(text, `${name}.in.yaml`);
}

describe('sidecar listeners (golden)', () => {
  it.each(goldenCases(DIR))('%s', (name) => {
    const options = CASE_OPTIONS[name] ?? {};
    const ctx = buildSidecarContext(snapshotOf(readCase(DIR, name), name), options.proxy ?? REVIEWS, {
      ...DEFAULT_MESH_SETTINGS,
      ...options.mesh,
    });
    const listeners = generateSidecarListeners(ctx);
    expectValidEnvoy(TypeUrl.Listener, listeners);
    expectGolden(DIR, name, listeners);
  });
});

function policies(yaml: string) {
  const snapshot = snapshotOf(yaml, 'inline');
  return buildAuthorizationModel(snapshot.authorizationPolicies, { namespace: 'default', labels: {} });
}

describe('buildRbacFilters', () => {
  it('turns an ALLOW policy without rules into an ALLOW filter that matches nothing', () => {
    const model = policies(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: default }
spec: {}
`);
    expect(buildRbacFilters(model, 'http')).toEqual([
      {
        name: 'envoy.filters.http.rbac.allow',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
          rules: {
            action: 'ALLOW',
            policies: {
              'ns[default]-policy[allow-nothing]-rule[0]': {
                permissions: [{ not_rule: { any: true } }],
                principals: [{ not_id: { any: true } }],
              },
            },
          },
        },
      },
    ]);
  });

  const custom = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext, namespace: default }
spec:
  action: CUSTOM
  provider: { name: opa }
  rules: [{ to: [{ operation: { paths: ['/secure/*'] } }] }]
`;

  it('skips CUSTOM policies (no ext_authz filter yet)', () => {
    expect(buildRbacFilters(policies(custom), 'http')).toEqual([]);
  });

  it('denies what CUSTOM rules match when the provider is misconfigured, as istiod does', () => {
    const snapshot = snapshotOf(custom, 'inline');
    const model = buildAuthorizationModel(
      snapshot.authorizationPolicies,
      { namespace: 'default', labels: {} },
      { extensionProviders: {} },
    );
    const [filter] = buildRbacFilters(model, 'tcp') as { typed_config: Record<string, unknown> }[];
    expect(filter?.typed_config).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
      stat_prefix: 'tcp.',
      rules: {
        action: 'DENY',
        policies: {
          // `paths` is HTTP only: dropped on TCP, which widens the deny to every connection.
          'istio-ext-authz-ns[default]-policy[ext]-rule[0]': {
            permissions: [{ and_rules: { rules: [{ any: true }] } }],
            principals: [{ and_ids: { ids: [{ any: true }] } }],
          },
        },
      },
    });
  });

  it('skips an ALLOW rule with an invalid IP block but keeps the others', () => {
    const model = policies(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ips, namespace: default }
spec:
  rules:
    - from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }]
    - from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }]
`);
    const [filter] = buildRbacFilters(model, 'tcp') as { typed_config: { rules: { policies: object } } }[];
    expect(Object.keys(filter?.typed_config.rules.policies ?? {})).toEqual([
      'ns[default]-policy[ips]-rule[1]',
    ]);
  });
});
