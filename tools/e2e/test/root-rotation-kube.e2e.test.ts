import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { istiodRootCert, startIstiod, type IstiodProcess } from '@mesh/launcher';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import {
  createIntermediate,
  createSelfSignedRoot,
  PLUG_IN_CA_FILES,
  splitCertificatePem,
  STATE_FILES,
} from '@mesh/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Root rotation in a running istiod, on the real control plane: with Istio's
 * `CITADEL_SELF_SIGNED_*` settings shortened (a 90 s root, checked every second, rotated in the last
 * 20% of a lifetime that counts the 60 s its notBefore is backdated for clock skew: about 60 s after
 * start, and again 60 s later), istiod replaces its self-signed root for the same key while it runs, and the
 * `istio-ca-root-cert` ConfigMaps (an existing namespace and one created after the rotation) and the
 * ClusterTrustBundle follow, holding the new root and the old one while the old one is valid. Then
 * with a plug-in CA (`--ca-dir`, the `cacerts` layout): a key of another certificate is refused and
 * nothing changes; new files (an intermediate of a new root, `root-cert.pem` with both roots) are
 * reloaded without restart and both roots are published.
 */

/** Waits (at most 90 s: the apiserver, controllers and istiod share two busy cores) for `check`. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: () => string): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const certificates = (pem: string) => (pem.trim() === '' ? [] : splitCertificatePem(pem, 'roots'));

describe('root changes of a running istiod, on a real API server', { timeout: 150_000 }, () => {
  const configDir = mkdtempSync(join(tmpdir(), 'e2e-rotation-config-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'e2e-rotation-state-'));
  let cluster: KubeCluster;
  let istiod: IstiodProcess;
  let firstRoot: string;

  const kubectl = (...args: string[]) => cluster.runKubectl(args);
  const configMapRoots = async (namespace: string) =>
    certificates(
      await kubectl(
        'get',
        'configmap',
        'istio-ca-root-cert',
        '-n',
        namespace,
        '-o',
        'jsonpath={.data.root-cert\\.pem}',
      ),
    );
  const bundleRoots = async () =>
    certificates(
      await kubectl(
        'get',
        'clustertrustbundle',
        'istio.io:istiod-ca:root-cert',
        '-o',
        'jsonpath={.spec.trustBundle}',
      ),
    );
  const logs = () => istiod.logs.lines.slice(-20).join('\n');
  const caDir = mkdtempSync(join(tmpdir(), 'e2e-rotation-cacerts-'));
  const writeCacerts = (files: Record<string, string>) => {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(caDir, name), content);
  };
  const launch = (options: Omit<Parameters<typeof startIstiod>[0], 'configDir' | 'stateDir'>) => {
    istiod = startIstiod(
      { configDir, stateDir, ...options },
      {
        logs: { memory: true },
        readyTimeoutMs: 30_000,
        env: {
          ...process.env,
          ENABLE_CLUSTER_TRUST_BUNDLE_API: 'true',
          CITADEL_SELF_SIGNED_CA_CERT_TTL: '90s',
          CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL: '1s',
          CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE: '20',
          CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR: 'false',
        },
      },
    );
  };

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    launch({ kubeconfig: cluster.kubeconfig, webhookPort: 0 });
    await istiod.ready;
    firstRoot = certificates(readFileSync(istiodRootCert({ stateDir }), 'utf8'))[0] as string;
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await istiod?.stop();
    await cluster?.down();
    for (const dir of [configDir, stateDir, caDir]) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('publishes the first root, then the rotated root with the old one, in the ConfigMaps and the ClusterTrustBundle', async () => {
    await eventually(
      async () => (await configMapRoots('default'))[0] === firstRoot,
      () => `istio-ca-root-cert in default with the first root; istiod logged:\n${logs()}`,
    );
    // istiod persists the new root and keeps the old one beside it.
    const [rotated] = await eventually(
      async () => {
        const current = certificates(readFileSync(istiodRootCert({ stateDir }), 'utf8'));
        return current[0] !== firstRoot && current;
      },
      () => `the root to rotate; istiod logged:\n${logs()}`,
    );
    expect(readFileSync(join(stateDir, STATE_FILES.previousRoots), 'utf8').trim()).toBe(firstRoot.trim());
    expect(istiod.logs.lines.some((l) => l.includes('self-signed root rotated (same key)'))).toBe(true);
    const expected = [rotated, firstRoot];
    await kubectl('create', 'namespace', 'after-rotation');
    for (const namespace of ['default', 'after-rotation'])
      await eventually(
        async () => JSON.stringify(await configMapRoots(namespace)) === JSON.stringify(expected),
        () => `istio-ca-root-cert in ${namespace} with the new and the old root; istiod logged:\n${logs()}`,
      );
    await eventually(
      async () => JSON.stringify(await bundleRoots()) === JSON.stringify(expected),
      () => `the ClusterTrustBundle with the new and the old root; istiod logged:\n${logs()}`,
    );
  });

  it('reloads a changed plug-in CA (cacerts) without restart, refusing bad material meanwhile', async () => {
    await istiod.stop();
    const rootA = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    writeCacerts(createIntermediate({ parent: rootA }).toCacertsFiles());
    launch({ caDir, kubeconfig: cluster.kubeconfig, webhookPort: 0 });
    await istiod.ready;
    const expectPublished = async (roots: string[], what: string) => {
      for (const namespace of ['default', 'after-rotation'])
        await eventually(
          async () => JSON.stringify(await configMapRoots(namespace)) === JSON.stringify(roots),
          () => `istio-ca-root-cert in ${namespace} with ${what}; istiod logged:\n${logs()}`,
        );
      await eventually(
        async () => JSON.stringify(await bundleRoots()) === JSON.stringify(roots),
        () => `the ClusterTrustBundle with ${what}; istiod logged:\n${logs()}`,
      );
    };
    await expectPublished([rootA.certificate.pem], 'the plug-in root');

    // A key of another certificate: refused with its reason, the CA and what is published stay.
    writeFileSync(join(caDir, PLUG_IN_CA_FILES.caKey), createIntermediate({ parent: rootA }).privateKeyPem);
    await eventually(
      async () =>
        istiod.logs.lines.some(
          (l) => l.includes('new CA material refused') && l.includes('is not the private key'),
        ),
      () => `the bad key to be refused; istiod logged:\n${logs()}`,
    );
    expect(await configMapRoots('default')).toEqual([rootA.certificate.pem]);

    // The operator's transition: an intermediate of a new root, root-cert.pem holding both roots.
    const rootB = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    const files = createIntermediate({ parent: rootB }).toCacertsFiles();
    writeCacerts({ ...files, 'root-cert.pem': rootB.certificate.pem + rootA.certificate.pem });
    await expectPublished(
      [rootB.certificate.pem, rootA.certificate.pem],
      'the new and the old plug-in roots',
    );
    expect(istiod.logs.lines.some((l) => l.includes('plug-in CA reloaded'))).toBe(true);
  });
});
