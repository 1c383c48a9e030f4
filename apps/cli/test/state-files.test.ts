import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { prepareConfigDir } from '../src/local/config-dir.js';
import { writeRunState, type RunState } from '../src/local/run-state.js';

/**
 * What the local platform writes in its state directory is its user's alone (DESIGN §12): the run
 * state names every process and port, the copied config may hold Secrets. Files 0600 in 0700
 * directories, also where an earlier run or another tool left them open to everyone.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A state directory an earlier run left readable by all, with `sub` in it, also open. */
function openStateDir(...subs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'state-files-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  for (const sub of subs) {
    mkdirSync(join(dir, sub), { mode: 0o755 });
    chmodSync(join(dir, sub), 0o755);
  }
  return dir;
}

/** The permission bits of `root` and of everything under it, by path. */
function modes(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' }))
    found[entry] = (statSync(join(root, entry)).mode & 0o777).toString(8);
  return found;
}

const STATE: RunState = {
  ...{ mesh: 'm', meshFile: '/m.yaml', mode: 'explicit', supervisorPid: 1, startedAt: '', ready: true },
  configDir: '/c',
  istiod: { xdsPort: 1, secureXdsPort: 2, monitoringPort: 3, log: '' },
  instances: [],
};

describe('state files', () => {
  it('the run state is 0600 in a 0700 directory', () => {
    const stateDir = openStateDir('local');
    writeFileSync(join(stateDir, 'local', 'run.json.tmp'), 'left by a crash', { mode: 0o644 });
    writeRunState(stateDir, STATE);
    expect(modes(stateDir)).toEqual({ local: '700', 'local/run.json': '600' });
  });

  it('the copied config, Secrets among it, is 0600 in a 0700 directory', () => {
    const source = openStateDir();
    writeFileSync(
      join(source, 'secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata: { name: s, namespace: default }\nstringData: { key: k }\n',
      { mode: 0o644 },
    );
    const stateDir = openStateDir();
    prepareConfigDir(join(stateDir, 'config'), [join(source, 'secret.yaml')]);
    expect(modes(stateDir)).toEqual({
      config: '700',
      'config/mesh': '700',
      'config/mesh/secret.yaml': '600',
    });
  });
});
