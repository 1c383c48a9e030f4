import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CHARTS, only, render } from './helm.js';

const ROOT = join(CHARTS, '..');
const SCRIPT = join(ROOT, 'tools', 'scripts', 'images.mjs');

function images(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', env });
}

describe('npm run images and the charts', () => {
  it("builds exactly the images the charts install by default: istiod's and the injected proxy's", () => {
    const dryRun = images(['--dry-run']);
    expect(dryRun.status).toBe(0);
    const built = [...dryRun.stdout.matchAll(/--target (\S+) -t (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
    const objects = render('istiod');
    const istiod = only<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
      objects,
      'Deployment',
    );
    const values = JSON.parse(
      only<{ data: { values: string } }>(objects, 'ConfigMap', 'istio-sidecar-injector').data.values,
    ) as { global: { hub: string; tag: string; proxy: { image: string } } };
    const proxy = `${values.global.hub}/${values.global.proxy.image}:${values.global.tag}`;
    expect(built).toEqual([`pilot ${istiod.spec.template.spec.containers[0]!.image}`, `proxyv2 ${proxy}`]);
    expect(built).toEqual(['pilot localhost/mesh/pilot:0.1.0', 'proxyv2 localhost/mesh/proxyv2:0.1.0']);
    const other = images(['--dry-run', '--hub', 'registry.example/mesh', '--tag', 'dev']).stdout;
    expect(other).toContain('-t registry.example/mesh/proxyv2:dev');
  });

  it('says clearly that no image was built when neither docker nor podman is there, and exits 3', () => {
    const bin = mkdtempSync(join(tmpdir(), 'images-path-'));
    try {
      // A PATH with only node on it: no docker, no podman.
      symlinkSync(process.execPath, join(bin, 'node'));
      const result = images([], { ...process.env, PATH: bin });
      expect(result.status).toBe(3);
      expect(result.stderr).toContain('no usable container engine, so no image was built');
      expect(result.stderr).toContain('docker: not installed');
      expect(result.stderr).toContain('podman: not installed');
      expect(result.stderr).toContain('docker build --target proxyv2 -t localhost/mesh/proxyv2:0.1.0 .');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('builds both from one Dockerfile on the Node release package.json pins, as user 1337', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const pinned = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      }
    ).devDependencies['node']!.replace(/^\^/, '');
    expect(dockerfile).toContain(`ARG NODE_IMAGE=node:${pinned}-bookworm-slim`);
    expect([...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => `${m[2]} ${m[1]}`)).toEqual([
      'build ${NODE_IMAGE}',
      'runtime ${NODE_IMAGE}',
      'pilot runtime',
      'proxyv2 runtime',
    ]);
    expect(dockerfile.match(/^USER 1337:1337$/gm)).toHaveLength(2);
    expect(dockerfile).toContain('ENTRYPOINT ["mesh-proxy"]');
  });
});
