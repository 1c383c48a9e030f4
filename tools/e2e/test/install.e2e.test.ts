import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startIstiod, type IstiodProcess } from '@mesh/launcher';
import { buildAndStartCluster, CLUSTER_HOOK_TIMEOUT_MS, type KubeCluster } from '@mesh/kube-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN } from './processes.js';

/**
 * `meshctl install`, `uninstall`, `manifest generate`, `precheck`, `verify-install` and `version` (the
 * built CLI) on a real control plane (tools/kube-cluster). Pods are simulated by kwok, so the in-cluster
 * istiod Deployment is Ready without running; the injection webhook the gateway's pod needs is served by
 * a real istiod beside the cluster (Istio's external-istiod URL, `istiodRemote.injectionURL`), which
 * sets the webhook's caBundle itself. It runs before the first snapshot, so what it writes on its own
 * (istio-ca-root-cert in every namespace) is part of "the cluster as it was".
 */

const CHARTS = join(import.meta.dirname, '..', '..', '..', 'charts');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end without blocking the event loop (istiod's logs are read by this process). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    // oclif wraps its error messages at the terminal width with " ›   " at each line start: unwrapped.
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/\s*\n ›\s+/g, ' ') }));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('meshctl install and uninstall on a real cluster', () => {
  const dirs = ['e2e-install-config-', 'e2e-install-state-', 'e2e-install-files-'].map((p) =>
    mkdtempSync(join(tmpdir(), p)),
  );
  const [configDir, stateDir, filesDir] = dirs as [string, string, string];
  let cluster: KubeCluster;
  let istiod: IstiodProcess;
  let external: string[];
  let before: string[];

  const meshctl = (...args: string[]) =>
    run(process.execPath, [BIN.meshctl, ...args, '--kubeconfig', cluster.kubeconfig], { HELM: cluster.helm });
  const kubectl = (...args: string[]) => cluster.runKubectl(args);
  const expectExit = (result: Finished, code: number) =>
    expect(result.code, `exit ${result.code}\n${result.stdout}\n${result.stderr}`).toBe(code);

  /** Every object the API server lists (kind, namespace, name), events excepted: they record activity. */
  async function snapshot(): Promise<string[]> {
    const resources = (await kubectl('api-resources', '--verbs=list', '-o', 'name'))
      .split('\n')
      .filter((r) => r !== '' && !/^events(\.|$)/.test(r));
    const listed = JSON.parse(await kubectl('get', resources.join(','), '-A', '-o', 'json')) as {
      items: { kind: string; metadata: { namespace?: string; name: string } }[];
    };
    return listed.items.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
  }

  beforeAll(async () => {
    cluster = await buildAndStartCluster();
    const webhookPort = await freePort();
    external = [
      '--set',
      `istiodRemote.injectionURL=https://127.0.0.1:${webhookPort}/inject`,
      '--set',
      `base.validationURL=https://127.0.0.1:${webhookPort}/validate`,
    ];
    istiod = startIstiod(
      { configDir, stateDir, kubeconfig: cluster.kubeconfig, webhookPort },
      { logs: { memory: true }, readyTimeoutMs: 30_000 },
    );
    await istiod.ready;
    before = await snapshot();
  }, CLUSTER_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await istiod?.stop();
    await cluster?.down();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('manifest generate prints what helm template prints for the same values, without a cluster', async () => {
    const set = [
      '--set',
      'pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true',
      '--set',
      'meshConfig.accessLogFile=/dev/stdout',
    ];
    const generated = await run(
      process.execPath,
      [BIN.meshctl, 'manifest', 'generate', '--profile', 'demo', ...set],
      {
        HELM: cluster.helm,
      },
    );
    expectExit(generated, 0);
    const helm = async (release: string, chart: string) =>
      (
        await run(cluster.helm, [
          'template',
          release,
          join(CHARTS, chart),
          '--namespace',
          'istio-system',
          '--set',
          'profile=demo',
          ...set,
        ])
      ).stdout;
    const expected =
      (await helm('base', 'base')) +
      (await helm('istiod', 'istiod')) +
      (await helm('istio-ingressgateway', 'gateway'));
    expect(generated.stdout).toBe(expected);
    expect(generated.stdout).toContain('clustertrustbundles');
  }, 120_000);

  it('precheck finds a supported Kubernetes and the permissions to install', async () => {
    const result = await meshctl('precheck');
    expectExit(result, 0);
    expect(result.stdout).toContain(
      '✔ No issues found when checking the cluster. Istio is safe to install or upgrade!',
    );
  });

  it('refuses to install without -y when it cannot ask', async () => {
    const result = await meshctl('install', '--profile', 'default');
    expectExit(result, 2);
    expect(result.stderr).toContain('pass -y to proceed');
    expect(await snapshot()).toEqual(before);
  });

  it('install --profile default -y applies base, istiod and the ingress gateway and waits until they are ready', async () => {
    const result = await meshctl('install', '--profile', 'default', '-y', ...external);
    expectExit(result, 0);
    expect(result.stdout).toContain('✔ Istio core installed');
    expect(result.stdout).toContain('✔ Istiod installed');
    expect(result.stdout).toContain('✔ Ingress gateways installed');
    expect(result.stdout).toContain(
      '✔ Installation complete: profile "default", revision "default", namespace istio-system (created)',
    );
    expect(result.stdout).toContain('created Deployment istio-system/istiod');
    const istiodDeployment = JSON.parse(
      await kubectl(
        'get',
        'deployment',
        'istiod',
        '-n',
        'istio-system',
        '-o',
        'json',
        '--show-managed-fields',
      ),
    ) as {
      metadata: { labels: Record<string, string>; managedFields: { manager: string; operation: string }[] };
      status: { availableReplicas?: number };
    };
    expect(istiodDeployment.metadata.labels).toMatchObject({
      'install.operator.istio.io/owning-resource': 'installed-state',
      'operator.istio.io/component': 'Pilot',
      'istio.io/rev': 'default',
    });
    expect(istiodDeployment.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'meshctl', operation: 'Apply' }),
    );
    expect(istiodDeployment.status.availableReplicas).toBe(1);
    // The gateway's pod went through the injector (the istiod beside the cluster): it is a proxy now.
    const pods = JSON.parse(
      await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'app=istio-ingressgateway', '-o', 'json'),
    ) as {
      items: {
        metadata: { annotations?: Record<string, string> };
        spec: { containers: { name: string }[] };
      }[];
    };
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]?.spec.containers.map((c) => c.name)).toContain('istio-proxy');
  }, 300_000);

  it('verify-install finds everything install created, present and ready', async () => {
    const result = await meshctl('verify-install', '--profile', 'default', ...external);
    expectExit(result, 0);
    expect(result.stdout).toContain('✔ Deployment istio-system/istiod: 1/1 available');
    expect(result.stdout).toMatch(
      /✔ Profile "default", revision "default": all \d+ objects installed and ready/,
    );
  });

  it('version reports the client, the control plane and the injected gateway', async () => {
    const result = await meshctl('version');
    expectExit(result, 0);
    expect(result.stdout).toBe(
      'client version: 0.1.0\ncontrol plane version: 0.1.0\ndata plane version: 0.1.0 (1 proxies)\n',
    );
    const json = JSON.parse((await meshctl('version', '-o', 'json')).stdout) as { meshVersion: unknown[] };
    expect(json.meshVersion).toEqual([
      { revision: 'default', deployment: 'istio-system/istiod', version: '0.1.0' },
    ]);
  });

  it('refuses a second install of the same revision, and precheck warns about it', async () => {
    const objects = await snapshot();
    const second = await meshctl('install', '--profile', 'default', '-y', ...external);
    expectExit(second, 1);
    expect(second.stderr).toContain(
      'control plane revision "default" is already installed (Deployment istio-system/istiod',
    );
    expect(second.stderr).toContain('--force');
    expect(await snapshot()).toEqual(objects);
    const precheck = await meshctl('precheck');
    expectExit(precheck, 1);
    expect(precheck.stdout).toContain(
      'Warning (Deployment istio-system/istiod) control plane revision "default" is already installed',
    );
  }, 120_000);

  it('uninstall --purge -y leaves the cluster as it was before the install', async () => {
    const result = await meshctl('uninstall', '--purge', '-y');
    expectExit(result, 0);
    expect(result.stdout).toContain('removed CustomResourceDefinition virtualservices.networking.istio.io');
    expect(result.stdout).toContain('removed Namespace istio-system');
    expect(await snapshot()).toEqual(before);
    const again = await meshctl('uninstall', '--purge', '-y');
    expectExit(again, 0);
    expect(again.stdout).toContain('Nothing to remove');
  }, 300_000);

  it('--set pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true gives istiod the RBAC for its ClusterTrustBundle', async () => {
    const istiodCan = async (...args: string[]) =>
      (
        await run(cluster.kubectl, [
          '--kubeconfig',
          cluster.kubeconfig,
          'auth',
          'can-i',
          ...args,
          '--as=system:serviceaccount:istio-system:istiod',
        ])
      ).stdout.trim();
    const values = join(filesDir, 'ctb.yaml');
    writeFileSync(values, 'pilot:\n  env:\n    ENABLE_CLUSTER_TRUST_BUNDLE_API: "true"\n');
    for (const how of [
      ['--set', 'pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true'],
      ['-f', values],
    ]) {
      expectExit(await meshctl('install', '--profile', 'minimal', '-y', ...how), 0);
      expect(await istiodCan('create', 'clustertrustbundles.certificates.k8s.io')).toBe('yes');
      expect(
        await istiodCan('update', 'clustertrustbundles.certificates.k8s.io/istio.io:istiod-ca:root-cert'),
      ).toBe('yes');
      expectExit(await meshctl('uninstall', '--purge', '-y'), 0);
    }
    expectExit(await meshctl('install', '--profile', 'minimal', '-y'), 0);
    expect(await istiodCan('create', 'clustertrustbundles.certificates.k8s.io')).toBe('no');
    expectExit(await meshctl('uninstall', '--revision', 'default', '-y'), 0);
    // A revision's uninstall keeps what revisions share (CRDs, base); --purge then removes it.
    expect(await kubectl('get', 'crd', 'virtualservices.networking.istio.io', '-o', 'name')).toContain(
      'virtualservices',
    );
    expect(await kubectl('get', 'deployment', '-n', 'istio-system', '-o', 'name')).toBe('');
    expectExit(await meshctl('uninstall', '--purge', '-y'), 0);
    expect(await snapshot()).toEqual(before);
  }, 600_000);

  it('says clearly when no cluster is reachable', async () => {
    const unreachable = join(filesDir, 'kubeconfig');
    const port = await freePort();
    writeFileSync(
      unreachable,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\n` +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    for (const args of [
      ['install', '-y'],
      ['uninstall', '--purge', '-y'],
      ['precheck'],
      ['verify-install'],
      ['version'],
    ]) {
      const result = await run(process.execPath, [BIN.meshctl, ...args, '--kubeconfig', unreachable], {
        HELM: cluster.helm,
      });
      expectExit(result, 1);
      expect(result.stderr).toContain(`no Kubernetes cluster reachable at https://127.0.0.1:${port}`);
    }
  }, 300_000);
});
