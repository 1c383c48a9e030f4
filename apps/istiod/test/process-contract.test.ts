import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { meshBinary, startIstiod } from '@mesh/launcher';
import { afterAll, describe, expect, it } from 'vitest';

import { tempDir } from './istiod-harness.js';

/** The installed command (its package bin entry), exactly what `npx istiod` runs; Nx builds it first. */
const ISTIOD = meshBinary('istiod');
const dirs: string[] = [];

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runIstiod(args: string[]) {
  return spawnSync(process.execPath, [ISTIOD, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('istiod process contract', () => {
  it.each([
    [['--state-dir', '/tmp'], 'istiod: --config-dir is required'],
    [
      ['--config-dir', '/tmp', '--state-dir', '/tmp', '--xds-port', 'abc'],
      'istiod: --xds-port: "abc" is not a port number (0-65535)',
    ],
    [
      ['--config-dir', '/nonexistent/config', '--state-dir', '/tmp'],
      'istiod: --config-dir: cannot read directory /nonexistent/config: ENOENT',
    ],
    [
      ['--config-dir', '/tmp', '--state-dir', '/tmp', '--trust-domain', 'Bad_Domain'],
      'istiod: --trust-domain: "Bad_Domain" is not a valid trust domain',
    ],
    [
      ['--config-dir', '/tmp', '--state-dir', '/tmp', '--workload-cert-ttl', 'forever'],
      'istiod: --workload-cert-ttl: "forever" is not a duration like 30s, 15m, 24h or 90d',
    ],
    [
      ['--config-dir', '/tmp', '--state-dir', '/tmp', '--no-such-flag'],
      "istiod: Unknown option '--no-such-flag'",
    ],
  ])('%j → exit 2 with one clear line', (args, message) => {
    const result = runIstiod(args);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toContain(message);
  });

  it('refuses an unreadable config directory', () => {
    if (process.getuid?.() === 0) {
      // root reads everything; a file where a directory is expected is unreadable as a directory for anyone
      const notADir = join(dir('istiod-file-'), 'config');
      spawnSync('touch', [notADir]);
      const result = runIstiod(['--config-dir', notADir, '--state-dir', dir('istiod-state-')]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('is not a directory');
      return;
    }
    const locked = join(dir('istiod-locked-'), 'config');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    const result = runIstiod(['--config-dir', locked, '--state-dir', dir('istiod-state-')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('EACCES');
  });

  it('reports readiness with its ports, serves /ready there and stops cleanly on SIGTERM', async () => {
    // Through the launcher, which runs the installed command as `npx istiod` does, with --ready-fd.
    const istiod = startIstiod(
      { configDir: dir('istiod-config-'), stateDir: dir('istiod-state-') },
      { logs: { memory: true }, readyTimeoutMs: 15_000 },
    );
    try {
      const { monitoringPort } = await istiod.ready;
      const ready = await fetch(`http://127.0.0.1:${monitoringPort}/ready`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${monitoringPort}/metrics`)).text();
      expect(metrics).toContain('citadel_server_csr_count');
      // People read logs: the line stays, though nothing waits for it any more.
      expect(istiod.logs.lines.join('\n')).toContain('"msg":"istiod is serving"');
      expect(await istiod.stop()).toEqual({ code: 0, signal: null });
    } finally {
      await istiod.stop({ signal: 'SIGKILL' });
    }
  });
});
