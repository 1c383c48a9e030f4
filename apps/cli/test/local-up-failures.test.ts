import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

/**
 * A start-up failure of `meshctl local up` is reported with the reason the failing process gave, as
 * soon as it gave it, and leaves nothing running (issue 13: an app that exited at once was reported
 * 30 s later as "the app does not listen").
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-up-failures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Processes whose command line names `text` (every process a state directory started names it). */
function processesNaming(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(text) ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
}

describe('meshctl local up with an app that exits at once', () => {
  it('reports its exit and its last line, and leaves nothing running', () => {
    const meshFile = join(dir, 'mesh.yaml');
    writeFileSync(
      meshFile,
      `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: exits }
spec:
  workloads:
    - name: web
      ports: [8080]
      command: [node, -e, 'console.error("boom: no config"); process.exit(3)']
`,
    );
    const stateDir = join(dir, 'state');
    const result = spawnSync(
      process.execPath,
      [MESHCTL, 'local', 'up', '-f', meshFile, '--state-dir', stateDir, '--xds-port', '0'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const stderr = result.stderr.replace(/\s*\n ›\s+/g, ' ');
    expect(result.status, stderr).toBe(1);
    expect(stderr).toMatch(
      /web-0: the app exited with code 3 before listening on 127\.0\.\d+\.\d+:\d+: boom: no config; see /,
    );
    expect(processesNaming(stateDir)).toEqual([]);
    expect(existsSync(join(stateDir, 'local', 'run.json'))).toBe(false);
  });
});
