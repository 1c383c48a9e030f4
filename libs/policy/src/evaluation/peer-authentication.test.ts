import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { PeerAuthentication } from '../api/resources.js';
import type { PeerAuthenticationSpec } from '../api/security/peer-authentication.js';
import { loadYaml } from '../loader/load-yaml.js';
import {
  effectivePeerAuthentication,
  mtlsModeForPort,
  mtlsPolicyForPort,
  type EffectivePeerAuthentication,
  type PeerAuthenticationWorkload,
} from './peer-authentication.js';

function peerAuthentication(
  namespace: string,
  name: string,
  spec: PeerAuthenticationSpec,
  creationTimestamp?: string,
): PeerAuthentication {
  const metadata = { name, namespace, ...(creationTimestamp === undefined ? {} : { creationTimestamp }) };
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata, spec };
}

/** The PeerAuthentications of a tutorial file, exactly as users apply them. */
function seed(file: string): PeerAuthentication[] {
  const text = readFileSync(new URL(`../testdata/seeds/${file}`, import.meta.url), 'utf8');
  return loadYaml(text, file)
    .resources.filter((resource) => resource.kind === 'PeerAuthentication')
    .map((resource) => resource.object as unknown as PeerAuthentication);
}

const meshStrict = peerAuthentication('istio-system', 'default', { mtls: { mode: 'STRICT' } });
const backend = { matchLabels: { app: 'backend' } };
const backendPod: PeerAuthenticationWorkload = {
  namespace: 'default',
  labels: { app: 'backend', version: 'v1' },
};

interface Case {
  name: string;
  policies: PeerAuthentication[];
  workload?: PeerAuthenticationWorkload;
  rootNamespace?: string;
  mode: EffectivePeerAuthentication['mode'];
  ports?: Record<number, EffectivePeerAuthentication['mode']>;
  /** `name.namespace`, as `x describe` prints them. */
  applied: string[];
  levels?: Partial<Record<'mesh' | 'namespace' | 'workload', string>>;
}

const cases: Case[] = [
  { name: 'no policy anywhere: Istio default PERMISSIVE', policies: [], mode: 'PERMISSIVE', applied: [] },
  {
    name: 'tutorial: mesh-wide STRICT in istio-system',
    policies: seed('000-strict-mtls-mesh-wide.yaml'),
    mode: 'STRICT',
    applied: ['default.istio-system'],
    levels: { mesh: 'default.istio-system' },
  },
  {
    name: 'tutorial: namespace STRICT for default (no mesh policy)',
    policies: seed('001-mtls-frontend-backend.yaml'),
    mode: 'STRICT',
    applied: ['default-strict-mtls.default'],
    levels: { namespace: 'default-strict-mtls.default' },
  },
  {
    name: 'mesh STRICT, namespace PERMISSIVE override during a migration',
    policies: [meshStrict, peerAuthentication('default', 'migrate', { mtls: { mode: 'PERMISSIVE' } })],
    mode: 'PERMISSIVE',
    applied: ['default.istio-system', 'migrate.default'],
    levels: { mesh: 'default.istio-system', namespace: 'migrate.default' },
  },
  {
    name: 'namespace DISABLE overrides mesh STRICT',
    policies: [meshStrict, peerAuthentication('default', 'legacy', { mtls: { mode: 'DISABLE' } })],
    mode: 'DISABLE',
    applied: ['default.istio-system', 'legacy.default'],
  },
  {
    name: 'namespace UNSET inherits mesh STRICT',
    policies: [meshStrict, peerAuthentication('default', 'unset', { mtls: { mode: 'UNSET' } })],
    mode: 'STRICT',
    applied: ['default.istio-system', 'unset.default'],
  },
  {
    name: 'namespace policy without mtls inherits mesh STRICT',
    policies: [meshStrict, peerAuthentication('default', 'empty', {})],
    mode: 'STRICT',
    applied: ['default.istio-system', 'empty.default'],
  },
  {
    name: 'a policy in another namespace does not apply',
    policies: [peerAuthentication('payments', 'default', { mtls: { mode: 'STRICT' } })],
    mode: 'PERMISSIVE',
    applied: [],
  },
  {
    name: 'workload STRICT beats namespace PERMISSIVE',
    policies: [
      peerAuthentication('default', 'ns', { mtls: { mode: 'PERMISSIVE' } }),
      peerAuthentication('default', 'backend', { selector: backend, mtls: { mode: 'STRICT' } }),
    ],
    mode: 'STRICT',
    applied: ['backend.default', 'ns.default'],
    levels: { namespace: 'ns.default', workload: 'backend.default' },
  },
  {
    name: 'a workload policy whose selector does not match is not applied',
    policies: [
      meshStrict,
      peerAuthentication('default', 'frontend', {
        selector: { matchLabels: { app: 'frontend' } },
        mtls: { mode: 'DISABLE' },
      }),
    ],
    mode: 'STRICT',
    applied: ['default.istio-system'],
  },
  {
    name: 'workload UNSET inherits the namespace mode',
    policies: [
      peerAuthentication('default', 'ns', { mtls: { mode: 'DISABLE' } }),
      peerAuthentication('default', 'backend', { selector: backend, mtls: { mode: 'UNSET' } }),
    ],
    mode: 'DISABLE',
    applied: ['backend.default', 'ns.default'],
  },
  {
    name: 'a selector policy in the root namespace is listed like istioctl does but ignored',
    policies: [
      meshStrict,
      peerAuthentication('istio-system', 'backend', { selector: backend, mtls: { mode: 'DISABLE' } }),
    ],
    mode: 'STRICT',
    applied: ['backend.istio-system', 'default.istio-system'],
    levels: { mesh: 'default.istio-system' },
  },
  {
    name: 'two namespace policies: the oldest wins',
    policies: [
      peerAuthentication('default', 'a-newer', { mtls: { mode: 'DISABLE' } }, '2024-05-02T00:00:00Z'),
      peerAuthentication('default', 'z-older', { mtls: { mode: 'STRICT' } }, '2024-05-01T00:00:00Z'),
    ],
    mode: 'STRICT',
    applied: ['z-older.default', 'a-newer.default'],
    levels: { namespace: 'z-older.default' },
  },
  {
    name: 'two namespace policies created in the same second: the first by name wins',
    policies: [
      peerAuthentication('default', 'beta', { mtls: { mode: 'DISABLE' } }, '2024-05-01T00:00:00Z'),
      peerAuthentication('default', 'alpha', { mtls: { mode: 'STRICT' } }, '2024-05-01T00:00:00Z'),
    ],
    mode: 'STRICT',
    applied: ['alpha.default', 'beta.default'],
  },
  {
    name: 'two workload policies from local files (no timestamps): the first by name wins',
    policies: [
      peerAuthentication('default', 'backend-b', { selector: backend, mtls: { mode: 'DISABLE' } }),
      peerAuthentication('default', 'backend-a', {
        selector: { matchLabels: { version: 'v1' } },
        mtls: { mode: 'STRICT' },
      }),
    ],
    mode: 'STRICT',
    applied: ['backend-a.default', 'backend-b.default'],
    levels: { workload: 'backend-a.default' },
  },
  {
    name: 'selector: {} is a namespace-wide policy',
    policies: [
      meshStrict,
      peerAuthentication('default', 'wide', { selector: {}, mtls: { mode: 'PERMISSIVE' } }),
    ],
    mode: 'PERMISSIVE',
    applied: ['default.istio-system', 'wide.default'],
    levels: { mesh: 'default.istio-system', namespace: 'wide.default' },
  },
  {
    name: 'port-level DISABLE for a metrics port under a STRICT workload',
    policies: [
      peerAuthentication('default', 'backend', {
        selector: backend,
        mtls: { mode: 'STRICT' },
        portLevelMtls: { '9090': { mode: 'DISABLE' } },
      }),
    ],
    mode: 'STRICT',
    ports: { 9090: 'DISABLE' },
    applied: ['backend.default'],
  },
  {
    name: 'port-level UNSET inherits the workload mode, itself inherited from the mesh',
    policies: [
      meshStrict,
      peerAuthentication('default', 'backend', {
        selector: backend,
        portLevelMtls: { '8080': { mode: 'UNSET' }, '8443': { mode: 'PERMISSIVE' } },
      }),
    ],
    mode: 'STRICT',
    ports: { 8080: 'STRICT', 8443: 'PERMISSIVE' },
    applied: ['default.istio-system', 'backend.default'],
  },
  {
    name: 'only the winning workload policy contributes port-level settings',
    policies: [
      peerAuthentication(
        'default',
        'old',
        { selector: backend, mtls: { mode: 'STRICT' } },
        '2024-01-01T00:00:00Z',
      ),
      peerAuthentication(
        'default',
        'new',
        { selector: backend, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
        '2024-06-01T00:00:00Z',
      ),
    ],
    mode: 'STRICT',
    ports: {},
    applied: ['old.default', 'new.default'],
  },
  {
    name: 'a workload in the root namespace gets the mesh policy',
    policies: [
      meshStrict,
      peerAuthentication('istio-system', 'gw', { selector: backend, mtls: { mode: 'DISABLE' } }),
    ],
    workload: { namespace: 'istio-system', labels: { app: 'backend' } },
    mode: 'STRICT',
    applied: ['default.istio-system', 'gw.istio-system'],
  },
  {
    name: 'a custom root namespace makes its policies mesh-wide',
    policies: [meshStrict, peerAuthentication('mesh-root', 'default', { mtls: { mode: 'DISABLE' } })],
    rootNamespace: 'mesh-root',
    mode: 'DISABLE',
    applied: ['default.mesh-root'],
  },
];

const refs = (list: { name: string; namespace: string }[]) =>
  list.map((ref) => `${ref.name}.${ref.namespace}`);

describe('effectivePeerAuthentication', () => {
  it.each(cases)('$name', (c) => {
    const result = effectivePeerAuthentication(c.policies, c.workload ?? backendPod, {
      ...(c.rootNamespace === undefined ? {} : { rootNamespace: c.rootNamespace }),
    });
    expect(result.mode).toBe(c.mode);
    expect(Object.fromEntries(result.portModes)).toEqual(c.ports ?? {});
    expect(refs(result.applied)).toEqual(c.applied);
    if (c.levels !== undefined) {
      const levels = Object.fromEntries(
        Object.entries(result.levels).map(([level, ref]) => [level, `${ref.name}.${ref.namespace}`]),
      );
      expect(levels).toEqual(c.levels);
    }
  });

  it('resolves a port without port-level settings to the workload mode', () => {
    const policies = [
      peerAuthentication('default', 'backend', {
        selector: backend,
        mtls: { mode: 'STRICT' },
        portLevelMtls: { '9090': { mode: 'PERMISSIVE' } },
      }),
    ];
    const effective = effectivePeerAuthentication(policies, backendPod);
    expect([mtlsModeForPort(effective, 9090), mtlsModeForPort(effective, 8080)]).toEqual([
      'PERMISSIVE',
      'STRICT',
    ]);
  });

  it.each([
    ['no policy: the default decides', [], undefined],
    [
      'namespace UNSET inherits: the mesh policy decides',
      [meshStrict, peerAuthentication('default', 'unset', { mtls: { mode: 'UNSET' } })],
      'default.istio-system',
    ],
    [
      'namespace DISABLE overrides the mesh policy',
      [meshStrict, peerAuthentication('default', 'legacy', { mtls: { mode: 'DISABLE' } })],
      'legacy.default',
    ],
    [
      'a workload policy without mtls leaves the namespace policy deciding',
      [
        peerAuthentication('default', 'ns', { mtls: { mode: 'STRICT' } }),
        peerAuthentication('default', 'backend', {
          selector: backend,
          portLevelMtls: { '9090': { mode: 'DISABLE' } },
        }),
      ],
      'ns.default',
    ],
  ] as [string, PeerAuthentication[], string | undefined][])(
    'names the policy that set the mode: %s',
    (_name, policies, expected) => {
      const setBy = effectivePeerAuthentication(policies, backendPod).modeSetBy;
      expect(setBy && `${setBy.name}.${setBy.namespace}`).toBe(expected);
    },
  );

  it('names the workload policy for a port-level mode, the mode setter for other ports', () => {
    const policies = [
      meshStrict,
      peerAuthentication('default', 'backend', {
        selector: backend,
        portLevelMtls: { '9090': { mode: 'PERMISSIVE' } },
      }),
    ];
    const effective = effectivePeerAuthentication(policies, backendPod);
    expect([mtlsPolicyForPort(effective, 9090)?.name, mtlsPolicyForPort(effective, 8080)?.namespace]).toEqual(
      ['backend', 'istio-system'],
    );
  });
});
