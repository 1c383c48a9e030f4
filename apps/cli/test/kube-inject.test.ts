import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

/**
 * The built `meshctl kube-inject` (needs `npm run build`): standard input to standard output, the
 * settings files, and the clear errors when a file or the cluster cannot be read.
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const scratch = mkdtempSync(join(tmpdir(), 'meshctl-kube-inject-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const POD =
  'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: nginx}]\n';

function kubeInject(args: string[], input = POD) {
  const run = spawnSync(process.execPath, [MESHCTL, 'kube-inject', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    input,
  });
  // oclif wraps an error's message over lines that start with " ›".
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.replace(/ *\n *› */g, ' ') };
}

describe('meshctl kube-inject', () => {
  it('injects standard input with the settings files given', () => {
    const values = join(scratch, 'values.json');
    writeFileSync(values, JSON.stringify({ global: { hub: 'registry.example/mesh', tag: '2.0' } }));
    const mesh = join(scratch, 'mesh.yaml');
    writeFileSync(mesh, 'trustDomain: example.org\n');
    const run = kubeInject(['-f', '-', '--valuesFile', values, '--meshConfigFile', mesh]);
    expect(run.status).toBe(0);
    const [pod] = parseAllDocuments(run.stdout).map(
      (d) =>
        d.toJS() as {
          spec: { containers: { name: string; image: string; env: { name: string; value?: string }[] }[] };
        },
    );
    const proxy = pod?.spec.containers.find((c) => c.name === 'istio-proxy');
    expect(proxy?.image).toBe('registry.example/mesh/proxyv2:2.0');
    expect(proxy?.env.find((e) => e.name === 'TRUST_DOMAIN')?.value).toBe('example.org');
    expect(run.stderr).toContain(`kube-inject: valuesFile: ${values}`);
  });

  it('says which file it cannot read, and which document is wrong', () => {
    expect(kubeInject(['-f', join(scratch, 'missing.yaml')])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('ENOENT'),
    });
    const bad = kubeInject(
      ['-f', '-'],
      POD.replace('{name: web}', '{name: web, annotations: {sidecar.istio.io/interceptionMode: BRIDGE}}'),
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      '<stdin>: document 1 (Pod default/web): annotation sidecar.istio.io/interceptionMode="BRIDGE"',
    );
  });

  it('says clearly when the cluster of --kubeconfig cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\n` +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const run = kubeInject(['-f', '-', '--kubeconfig', kubeconfig]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no Kubernetes cluster reachable at https://127.0.0.1:${port}`);
  });
});
