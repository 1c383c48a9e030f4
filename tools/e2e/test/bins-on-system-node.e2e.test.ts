import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { meshBinary, type MeshCommand } from '@mesh/launcher';
import { isAtLeast } from '@mesh/launcher/pinned-node';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The mesh's commands started as a shell starts them — the bin file itself, whose `#!/usr/bin/env node`
 * finds the system's `node`, not the workspace's — work, and run on the pinned Node when the system's
 * is older than `engines` (issue 13: they crashed under a system Node 20, in undici).
 */

const WORKSPACE = join(import.meta.dirname, '..', '..', '..');
/** PATH without the node_modules/.bin directories that npm and vitest put the pinned Node in. */
const SHELL_PATH = (process.env['PATH'] ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);
const ENV = { ...process.env, PATH: SHELL_PATH };

const PINNED = JSON.parse(readFileSync(join(WORKSPACE, 'node_modules', 'node', 'package.json'), 'utf8')) as {
  version: string;
};
const MINIMUM = (
  JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node.replace(/^>=/, '');
const SYSTEM = spawnSync('node', ['-p', 'process.versions.node'], {
  encoding: 'utf8',
  env: ENV,
}).stdout.trim();

/** The Node the commands must end up on. */
const EXPECTED = isAtLeast(SYSTEM, MINIMUM) ? SYSTEM : PINNED.version;

const dir = mkdtempSync(join(tmpdir(), 'bins-system-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: MeshCommand, args: string[]) {
  return spawnSync(meshBinary(command), args, { encoding: 'utf8', timeout: 60_000, env: ENV });
}

describe(`the bins run by the shell's node (${SYSTEM || 'none'}; engines >=${MINIMUM})`, () => {
  it('finds a system node to run them', () => {
    expect(SYSTEM).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it(`meshctl --version and --help work, on Node ${EXPECTED}`, () => {
    const version = run('meshctl', ['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toContain(`node-v${EXPECTED}`);
    const help = run('meshctl', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/local\s+Run and operate a mesh on this machine/);
  });

  it('istiod --help and mesh-proxy --version and --help work', () => {
    expect(run('istiod', ['--help'])).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^usage: istiod /),
    });
    expect(run('mesh-proxy', ['--version'])).toMatchObject({ status: 0, stdout: 'mesh-proxy 0.1.0\n' });
    expect(run('mesh-proxy', ['--help'])).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^usage: mesh-proxy /),
    });
  });

  it('exit codes pass through: meshctl validate finding an error is 1, istiod given an unknown flag is 2', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: bad }\nspec: { hosts: [] }\n',
    );
    const validate = run('meshctl', ['validate', '-f', file]);
    expect(validate.status).toBe(1);
    expect(validate.stdout).toContain('Error');
    expect(run('istiod', ['--no-such-flag'])).toMatchObject({
      status: 2,
      stderr: "istiod: Unknown option '--no-such-flag'\n",
    });
  });
});
