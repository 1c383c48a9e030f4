import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { InstanceStatus, LocalStatus } from '../src/local/local-status.js';
import { parseMeshFile } from '../src/local/mesh-file.js';
import { renderTryNext } from '../src/local/try-next.js';

/**
 * Commands the README and the demo print work as printed: meshctl is not on PATH after `npm ci`, so
 * they say `npx meshctl`; and the demo's hints name the addresses the running mesh has, not the block
 * a first mesh would get.
 */

const REPO = join(import.meta.dirname, '..', '..', '..');
const MESH_FILE = join(REPO, 'examples', 'bookinfo-local', 'mesh.yaml');

function instance(
  workload: string,
  address: string,
  proxy: InstanceStatus['proxy'] = 'ready',
): InstanceStatus {
  return {
    instance: `${workload}-0`,
    workload,
    namespace: 'default',
    identity: `spiffe://cluster.local/ns/default/sa/${workload}`,
    address,
    ports: [9080],
    proxy,
    xds: proxy === 'none' ? '-' : 'synced',
    mtls: 'STRICT',
  };
}

/** The demo as it runs when another mesh holds 127.0.10.x: its workloads got the 127.0.11.x block. */
const STATUS = {
  mesh: 'bookinfo',
  mode: 'explicit',
  istiod: { xdsPort: 15010, monitoringPort: 15014, metrics: 'http://127.0.0.1:15014/metrics' },
  workloads: [instance('productpage', '127.0.11.1'), instance('outsider', '127.0.11.8', 'none')],
} as LocalStatus;

describe("the demo's Try next", () => {
  const mesh = parseMeshFile(readFileSync(MESH_FILE, 'utf8'), MESH_FILE);

  it('calls productpage from the outsider at the address productpage has in this run', () => {
    expect(renderTryNext(mesh, STATUS, '.mesh')).toContain(
      '  npx meshctl local exec outsider -- curl -s -m 2 http://127.0.11.1:9080/\n',
    );
  });

  it('says npx meshctl on every command line, with the state directory when it is not the default', () => {
    const lines = renderTryNext(mesh, STATUS, '/tmp/other').split('\n').slice(1, -1);
    const commands = lines.filter((line) => !/^ {2}(istiod|proxy) metrics:/.test(line));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const line of commands)
      expect(line).toMatch(/^ {2}npx meshctl local \S+ --state-dir \/tmp\/other( |$)/);
  });

  it('leaves a placeholder naming no workload visible', () => {
    const withTypo = { ...mesh, tryNext: ['curl http://{{address nosuch}}:9080/'] };
    expect(renderTryNext(withTypo, STATUS, '.mesh')).toContain('curl http://{{address nosuch}}:9080/');
  });
});

describe('the README', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1] as string);

  it('runs meshctl as npx meshctl in every shell block (it is not on PATH after npm ci)', () => {
    const meshctlLines = blocks
      .flatMap((block) => block.split('\n'))
      .filter((line) => /\bmeshctl\b/.test(line));
    expect(meshctlLines.length).toBeGreaterThan(0);
    for (const line of meshctlLines) expect(line).toMatch(/^(npx meshctl |npm )/);
  });

  it('states the Node.js version package.json requires, and no other', () => {
    const { engines } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const minimum = engines.node.replace(/^>=\s*/, '');
    const stated = [...readme.matchAll(/Node(?:\.js)? ≥ ?([\d.]+)/g)].map((m) => m[1]);
    expect(stated).toEqual([minimum]);
  });
});
