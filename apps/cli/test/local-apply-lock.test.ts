import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseConfigFile } from '@mesh/policy';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import { APPLIED_LOCK_FILE, withAppliedSetLock } from '../src/local/applied-lock.js';
import { privateDir } from '../src/local/state-dir.js';

/**
 * Concurrent `meshctl local apply` and `delete` (the built CLI, on a state directory whose run state
 * names this test process as the supervisor) do not lose each other's changes: each changes the
 * applied set holding a lock, waits for a live holder and takes over the lock of one that is gone.
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const root = mkdtempSync(join(tmpdir(), 'meshctl-apply-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let stateDir: string;
let configDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(root, 'state-'));
  configDir = join(stateDir, 'config');
  privateDir(join(stateDir, 'local'));
  privateDir(configDir);
  const state = { supervisorPid: process.pid, ready: true, configDir, instances: [] };
  writeFileSync(join(stateDir, 'local', 'run.json'), JSON.stringify(state));
});

function meshctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [MESHCTL, 'local', ...args, '--state-dir', stateDir],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** A file with one deny-all AuthorizationPolicy in `namespace`. */
function denyAll(namespace: string): string {
  const path = join(root, `${namespace}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    path,
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: deny-all, namespace: ${namespace} }\nspec: {}\n`,
  );
  return path;
}

/** The namespaces of the deny-all policies istiod reads from the config directory. */
function served(): string[] {
  const path = join(configDir, 'applied.yaml');
  if (!existsSync(path)) return [];
  const configs = parseConfigFile(readFileSync(path, 'utf8'), path, () => '0').configs.values();
  return [...configs].map((c) => c.namespace).sort();
}

const namespaces = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `ns${from + i}`);

describe('meshctl local apply and delete at the same time', () => {
  it('lose none of each other’s changes', async () => {
    const applies = await Promise.all(namespaces(0, 6).map((ns) => meshctl('apply', '-f', denyAll(ns))));
    expect(applies.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(served()).toEqual(namespaces(0, 6));

    const mixed = await Promise.all([
      ...namespaces(0, 3).map((ns) => meshctl('delete', '-f', denyAll(ns))),
      ...namespaces(6, 9).map((ns) => meshctl('apply', '-f', denyAll(ns))),
    ]);
    expect(mixed.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(served()).toEqual(namespaces(3, 9));
    expect(existsSync(join(stateDir, APPLIED_LOCK_FILE))).toBe(false);
  }, 120_000);

  it('waits while a live process holds the lock, then applies', async () => {
    writeFileSync(join(stateDir, APPLIED_LOCK_FILE), `${process.pid}\n`);
    const apply = meshctl('apply', '-f', denyAll('waiting'));
    // An apply that ignored the lock would have finished by then (it takes a few seconds under load).
    const first = await Promise.race([
      apply.then(() => 'finished'),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 10_000)),
    ]);
    expect(first).toBe('waiting');
    expect(served()).toEqual([]);
    rmSync(join(stateDir, APPLIED_LOCK_FILE));
    expect(await apply).toMatchObject({ code: 0 });
    expect(served()).toEqual(['waiting']);
  }, 60_000);

  it('takes over the lock of a process that is gone', async () => {
    const gone = spawnSync('true').pid;
    writeFileSync(join(stateDir, APPLIED_LOCK_FILE), `${gone}\n`);
    expect(await meshctl('apply', '-f', denyAll('after-crash'))).toMatchObject({ code: 0 });
    expect(served()).toEqual(['after-crash']);
    expect(existsSync(join(stateDir, APPLIED_LOCK_FILE))).toBe(false);
  }, 60_000);

  it('gives up after a bounded wait, naming the holder', async () => {
    writeFileSync(join(stateDir, APPLIED_LOCK_FILE), `${process.pid}\n`);
    let changed = false;
    await expect(withAppliedSetLock(stateDir, () => (changed = true), 300)).rejects.toThrow(
      `another meshctl (pid ${process.pid}) is changing what "local apply" added (${join(stateDir, APPLIED_LOCK_FILE)}) and did not finish within 0.3 s`,
    );
    expect(changed).toBe(false);
  });
});
