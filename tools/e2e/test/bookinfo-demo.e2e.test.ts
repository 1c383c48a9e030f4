import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { BIN } from './processes.js';

/**
 * The demo `npm start` runs (examples/bookinfo-local), detached: productpage answers through the mesh
 * with details and with reviews from every version in the configured 90/5/5 split, its STRICT mTLS
 * refuses the out-of-mesh workload, and `local down` leaves no process behind.
 */

const stateDir = mkdtempSync(join(tmpdir(), 'mesh-bookinfo-'));
const MESH = join(import.meta.dirname, '..', '..', '..', 'examples', 'bookinfo-local', 'mesh.yaml');

function meshctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [BIN.meshctl, ...args],
      { timeout: 120_000, env: { ...process.env, MESH_STATE_DIR: stateDir } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

beforeAll(async () => {
  const up = await meshctl(['local', 'up', '-f', MESH, '--detach', '--xds-port', '0']);
  if (up.code !== 0) throw new Error(`local up failed:\n${up.stdout}\n${up.stderr}`);
}, 150_000);

afterAll(async () => {
  await meshctl(['local', 'down']);
  rmSync(stateDir, { recursive: true, force: true });
});

it('productpage shows details and reviews from all versions in about the configured ratio', async () => {
  const script = 'for i in $(seq 200); do curl -s -m 5 http://productpage:9080/; echo; done';
  const { stdout } = await meshctl(['local', 'exec', 'client', '--', 'sh', '-c', script]);
  const pages = stdout
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as { details: { author?: string }; reviews: { version?: string; stars?: string } },
    );
  expect(pages).toHaveLength(200);
  expect(pages.every((p) => p.details.author === 'William Shakespeare')).toBe(true);
  const count = (v: string) => pages.filter((p) => p.reviews.version === v).length;
  expect(count('v1')).toBeGreaterThan(165); // 90%
  expect(count('v2')).toBeGreaterThan(0); // 5%, black stars from ratings
  expect(count('v3')).toBeGreaterThan(0); // 5%, red stars from ratings
  expect(count('v1') + count('v2') + count('v3')).toBe(200);
  expect(pages.find((p) => p.reviews.version === 'v3')?.reviews.stars).toBe('red');
}, 60_000);

it('refuses the out-of-mesh workload (STRICT) and denies the client direct access to details (403)', async () => {
  const status = JSON.parse((await meshctl(['local', 'status', '-o', 'json'])).stdout) as {
    workloads: { instance: string; address: string }[];
  };
  const productpage = status.workloads.find((w) => w.instance === 'productpage-0')?.address;
  const outsider = await meshctl([
    'local',
    'exec',
    'outsider',
    '--',
    'curl',
    '-s',
    '-m',
    '3',
    '-w',
    '%{http_code}',
    `http://${productpage}:9080/`,
  ]);
  expect(outsider.stdout).toBe('000');
  const client = await meshctl([
    'local',
    'exec',
    'client',
    '--',
    'curl',
    '-s',
    '-w',
    ' %{http_code}',
    'http://details:9080/details/0',
  ]);
  expect(client.stdout).toBe('RBAC: access denied 403');
});
