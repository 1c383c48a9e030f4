import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { istiodRootCert, startIstiod, type IstiodProcess } from '@mesh/launcher';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually, freePort, serviceAccountKubeconfig } from './kube-istiod-helpers.js';

/**
 * Istio's validation fail-close on a real control plane (tools/kube-cluster): the base and istiod
 * charts install `istiod-default-validator` and `istio-validator-istio-system` failing open (`Ignore`,
 * no caBundle) and pointing at an istiod beside the cluster (`base.validationURL`). istiod, running
 * under exactly the charts' RBAC, sets their caBundle, checks with a dry-run create of an invalid
 * Gateway that its webhook really refuses invalid config, and only then turns them to `Fail`.
 */

const CHARTS = join(import.meta.dirname, '..', '..', '..', 'charts');
const VALIDATORS = ['istiod-default-validator', 'istio-validator-istio-system'];

const zeroWeights = (name: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: default }
spec:
  hosts: [web]
  http: [{ route: [{ destination: { host: web }, weight: 0 }, { destination: { host: web }, weight: 0 }] }]
`;

describe('validating webhooks fail closed once istiod validates', { timeout: 150_000 }, () => {
  const dirs = ['e2e-validation-config-', 'e2e-validation-state-', 'e2e-validation-files-'].map((p) =>
    mkdtempSync(join(tmpdir(), p)),
  );
  const [configDir, stateDir, filesDir] = dirs as [string, string, string];
  let cluster: KubeCluster;
  let istiod: IstiodProcess | undefined;
  let webhookPort: number;

  const kubectl = (...args: string[]) => cluster.runKubectl(args);
  const apply = (yaml: string) =>
    cluster.runKubectl(['apply', '-f', '-'], yaml).then(
      () => 'accepted',
      (err: Error) => err.message,
    );
  /** Each validator's `failurePolicy` and whether its caBundle is istiod's root. */
  const validators = async () => {
    // istiod writes its root at its first start.
    const rootFile = istiodRootCert({ stateDir });
    const root = existsSync(rootFile) ? readFileSync(rootFile).toString('base64') : undefined;
    const out: string[] = [];
    for (const name of VALIDATORS) {
      const [policy, caBundle] = (
        await kubectl(
          ...['get', 'validatingwebhookconfiguration', name],
          '-o',
          'jsonpath={.webhooks[0].failurePolicy} {.webhooks[0].clientConfig.caBundle}',
        )
      ).split(' ');
      out.push(`${name}: ${policy} ${caBundle === root ? 'root' : caBundle ? 'other' : 'none'}`);
    }
    return out;
  };

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    webhookPort = await freePort();
    const url = ['--set', `base.validationURL=https://127.0.0.1:${webhookPort}/validate`];
    const install = ['-n', 'istio-system', '--wait', '--timeout', '3m', ...url];
    await cluster.runHelm(['install', 'istio-base', join(CHARTS, 'base'), '--create-namespace', ...install]);
    await cluster.runHelm(['install', 'istiod', join(CHARTS, 'istiod'), ...install]);
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await istiod?.stop();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('fails open while no istiod answers: Ignore, and invalid config gets through', async () => {
    expect(await validators()).toEqual(VALIDATORS.map((name) => `${name}: Ignore none`));
    expect(await apply(zeroWeights('before-istiod'))).toBe('accepted');
    await kubectl('delete', 'virtualservice', 'before-istiod', '-n', 'default');
  });

  it("turns both validators to Fail once istiod's webhook refuses invalid config, under the charts' RBAC", async () => {
    const kubeconfig = await serviceAccountKubeconfig(cluster, filesDir, 'istiod');
    istiod = startIstiod(
      { configDir, stateDir, kubeconfig, webhookPort },
      { logs: { memory: true }, readyTimeoutMs: 30_000 },
    );
    await istiod.ready;
    await eventually(
      async () => (await validators()).every((line) => line.endsWith(': Fail root')),
      'istiod to turn the validators to Fail',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; istiod logged:\n${istiod?.logs.lines.slice(-30).join('\n')}`);
    });
    expect(istiod.logs.lines.join('\n')).toContain('switching validation to fail-closed');
    expect(await apply(zeroWeights('with-istiod'))).toMatch(
      /admission webhook "validation\.istio\.io" denied the request: configuration is invalid: spec\.http\[0\]\.route/,
    );
    const ready = await fetch(`http://127.0.0.1:${(await istiod.ready).monitoringPort}/ready`);
    expect(await ready.text()).toBe('ready\n');
  });

  it('keeps refusing config while istiod is down, since the webhooks now fail closed', async () => {
    await istiod?.stop();
    istiod = undefined;
    const refused = await apply(zeroWeights('istiod-down'));
    expect(refused).toContain('failed calling webhook "validation.istio.io"');
    expect(await kubectl('get', 'virtualservices', '-n', 'default', '-o', 'name')).toBe('');
  });
});
