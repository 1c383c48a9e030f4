import { buildAll, CLUSTER_HOOK_TIMEOUT_MS } from '@mesh/kube-cluster';
import { beforeAll, describe, expect, it } from 'vitest';

import { objectsToApply } from '../src/install/apply-install.js';
import { locateCharts, locateHelm } from '../src/install/chart-sources.js';
import { resolveInstallValues } from '../src/install/install-values.js';
import { INSTALLED_KINDS, uninstallSelector } from '../src/install/installed-objects.js';
import { imageTag, renderVersionsShort } from '../src/install/mesh-versions.js';
import { kubernetesVersionMessage, renderPrecheckText } from '../src/install/precheck-checks.js';
import { readinessOf } from '../src/install/readiness.js';
import {
  renderComponentDone,
  renderInstallSummary,
  renderUninstallText,
} from '../src/install/render-install.js';
import { renderManifests } from '../src/install/render-manifests.js';

describe('rendering the charts for install', () => {
  const chartsDir = locateCharts();
  let helm: string;
  // locateHelm's last choice, the helm tools/kube-cluster builds (a no-op once cached): a fresh machine
  // without helm on PATH has no other, and builds the Kubernetes binaries here if no test has yet.
  beforeAll(async () => {
    await buildAll({ log: (line) => process.stderr.write(`${line}\n`) });
    helm = locateHelm(chartsDir);
  }, CLUSTER_HOOK_TIMEOUT_MS);

  it.each(['default', 'demo', 'minimal', 'remote', 'empty'])(
    'profile %s: every kind rendered is one install applies and uninstall finds, each object labelled',
    (profile) => {
      const install = resolveInstallValues({ profile });
      const manifests = renderManifests(helm, chartsDir, install);
      expect(manifests.map((m) => m.component)).toEqual(install.components);
      for (const manifest of manifests)
        for (const object of objectsToApply(manifest, 'istio-system')) {
          const kind = INSTALLED_KINDS.find((k) => k.kind === object.kind);
          expect(kind, `${object.kind} ${object.metadata.name}`).toBeDefined();
          expect(kind?.apiVersion).toBe(object.apiVersion);
          expect(object.metadata.namespace).toBe(kind?.namespaced ? 'istio-system' : undefined);
          expect(object.metadata.labels).toMatchObject({
            'install.operator.istio.io/owning-resource': 'installed-state',
            'operator.istio.io/component': manifest.component,
          });
        }
    },
  );

  it("names a revision's releases after it, so that two revisions do not collide", () => {
    const manifests = renderManifests(helm, chartsDir, resolveInstallValues({ revision: 'canary' }));
    expect(manifests.map((m) => m.release)).toEqual(['base', 'istiod-canary', 'istio-ingressgateway-canary']);
    const pilot = manifests[1]?.objects.find((o) => o.kind === 'Deployment');
    expect(pilot?.metadata.name).toBe('istiod-canary');
  });

  it("selects for uninstall everything install made, or one revision's istiod and gateways", () => {
    expect(uninstallSelector({ purge: true })).toBe('install.operator.istio.io/owning-resource');
    expect(uninstallSelector({ purge: false, revisionLabel: 'canary' })).toBe(
      'install.operator.istio.io/owning-resource,operator.istio.io/component in (Pilot,IngressGateways),istio.io/rev=canary',
    );
  });
});

describe('readiness', () => {
  it('a Deployment is ready when its current generation has all replicas updated and available', () => {
    const deployment = (status: object, generation = 2) => ({
      metadata: { generation },
      spec: { replicas: 2 },
      status,
    });
    expect(readinessOf('Deployment', undefined)).toEqual({ ready: false, detail: 'not found' });
    expect(
      readinessOf(
        'Deployment',
        deployment({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 }),
      ),
    ).toEqual({ ready: true, detail: '2/2 available' });
    expect(
      readinessOf(
        'Deployment',
        deployment({ observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }),
      ).ready,
    ).toBe(false);
    const refused = deployment({
      observedGeneration: 2,
      conditions: [
        { type: 'ReplicaFailure', status: 'True', message: 'admission webhook denied the request' },
      ],
    });
    expect(readinessOf('Deployment', refused)).toEqual({
      ready: false,
      detail: '0/2 available: admission webhook denied the request',
    });
  });

  it('a CRD is ready when Established, anything else when present', () => {
    expect(readinessOf('CustomResourceDefinition', { status: { conditions: [] } }).ready).toBe(false);
    expect(
      readinessOf('CustomResourceDefinition', {
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      }).ready,
    ).toBe(true);
    expect(readinessOf('MutatingWebhookConfiguration', {})).toEqual({ ready: true, detail: 'present' });
  });
});

describe('what the commands print', () => {
  it("install: istioctl's component lines and what was applied", () => {
    const objects = [
      {
        kind: 'Deployment',
        name: 'istiod',
        namespace: 'istio-system',
        component: 'Pilot' as const,
        created: true,
      },
      {
        kind: 'ConfigMap',
        name: 'istio',
        namespace: 'istio-system',
        component: 'Pilot' as const,
        created: false,
      },
    ];
    expect(renderComponentDone('Pilot', objects)).toBe(
      '✔ Istiod installed (2 objects: 1 created, 1 updated)',
    );
    expect(
      renderInstallSummary({
        profile: 'minimal',
        revision: 'default',
        namespace: 'istio-system',
        namespaceCreated: true,
        components: [{ component: 'Pilot', objects }],
      }),
    ).toBe(
      [
        '✔ Installation complete: profile "minimal", revision "default", namespace istio-system (created)',
        'Applied with server-side apply (field manager meshctl):',
        '  created Deployment istio-system/istiod',
        '  updated ConfigMap istio-system/istio',
      ].join('\n'),
    );
  });

  it('uninstall: what was removed, or that there was nothing', () => {
    const scope = { purge: false as const, revision: 'canary' };
    expect(renderUninstallText({ scope, removed: [], dryRun: false })).toBe(
      'Nothing to remove: no objects of control plane revision "canary" found.',
    );
    expect(
      renderUninstallText({
        scope: { purge: true },
        removed: [{ kind: 'Namespace', name: 'istio-system' }],
        dryRun: false,
      }),
    ).toBe('  removed Namespace istio-system\n✔ Uninstall complete: 1 objects removed');
  });

  it("precheck: IST0142 below the minimum Kubernetes, Istio's all-clear otherwise", () => {
    expect(kubernetesVersionMessage('v1.36.3', '1', '36')).toBeUndefined();
    expect(kubernetesVersionMessage('v1.28.2-eks', '1', '28+')).toEqual({
      code: 'IST0142',
      level: 'Error',
      origin: 'Kubernetes v1.28.2-eks',
      message: 'The Kubernetes API server version: v1.28.2-eks is lower than the minimum version: 1.29',
    });
    expect(renderPrecheckText({ kubernetesVersion: 'v1.36.3', messages: [] })).toBe(
      '✔ No issues found when checking the cluster. Istio is safe to install or upgrade!',
    );
    expect(
      renderPrecheckText({
        kubernetesVersion: 'v1.36.3',
        messages: [
          { code: 'IST0141', level: 'Error', origin: 'ClusterRole', message: 'Missing required permission' },
        ],
      }),
    ).toBe('Error [IST0141] (ClusterRole) Missing required permission');
  });

  it("version: image tags, and istioctl's short form", () => {
    expect(
      ['localhost/mesh/pilot:0.1.0', 'reg:5000/a/proxyv2:1.2@sha256:ab', 'pilot', undefined].map(imageTag),
    ).toEqual(['0.1.0', '1.2', 'latest', 'unknown']);
    expect(
      renderVersionsShort({
        clientVersion: { version: '0.1.0' },
        meshVersion: [{ revision: 'default', deployment: 'istio-system/istiod', version: '0.1.0' }],
        dataPlaneVersion: [
          { id: 'a.default', version: '0.1.0' },
          { id: 'b.default', version: '0.1.0' },
          { id: 'c.default', version: '0.0.9' },
        ],
      }),
    ).toBe(
      'client version: 0.1.0\ncontrol plane version: 0.1.0\ndata plane version: 0.1.0 (2 proxies), 0.0.9 (1 proxies)',
    );
    expect(renderVersionsShort({ clientVersion: { version: '0.1.0' } })).toBe('client version: 0.1.0');
  });
});
