import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

/**
 * A start-up failure of `meshctl local up` is reported with the reason the failing process gave, as
 * soon as it gave it, and leaves nothing running (issue 13: an app that exited at once was reported
 * 30 s later as "the app does not listen"; one that could not be executed, once its sidecar was ready).
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

/** `meshctl local up` (in the foreground unless `args` say --detach) of a mesh with one workload `web` running `command`. */
function upWith(
  name: string,
  command: string,
  args = ['--xds-port', '0'],
): { status: number | null; stderr: string; stateDir: string } {
  const meshFile = join(dir, `${name}.yaml`);
  writeFileSync(
    meshFile,
    `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: ${name} }
spec:
  workloads:
    - name: web
      ports: [8080]
      command: ${command}
`,
  );
  const stateDir = join(dir, `${name}-state`);
  const result = spawnSync(
    process.execPath,
    [MESHCTL, 'local', 'up', '-f', meshFile, '--state-dir', stateDir, ...args],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { status: result.status, stderr: result.stderr.replace(/\s*\n ›\s+/g, ' '), stateDir };
}

describe('meshctl local up with an app that exits at once', () => {
  it('reports its exit and its last line, and leaves nothing running', () => {
    const { status, stderr, stateDir } = upWith(
      'exits',
      `[node, -e, 'console.error("boom: no config"); process.exit(3)']`,
    );
    expect(status, stderr).toBe(1);
    // Before its sidecar is ready, as a rule: Node starts the app faster than the sidecar gets ready.
    expect(stderr).toMatch(
      /web-0: the app exited with code 3 before (its sidecar was ready|listening on 127\.0\.\d+\.\d+:\d+): boom: no config; see /,
    );
    expect(processesNaming(stateDir)).toEqual([]);
    expect(existsSync(join(stateDir, 'local', 'run.json'))).toBe(false);
  });
});

describe('meshctl local up with a program that exists but cannot be executed', () => {
  it('reports it at once, without waiting for the sidecar, and leaves nothing running', () => {
    // Executable, so the mesh file's check passes; its interpreter is missing, so exec fails (ENOENT).
    const program = join(dir, 'missing-interpreter.sh');
    writeFileSync(program, '#!/nonexistent/interpreter\necho never\n');
    chmodSync(program, 0o755);
    const { status, stderr, stateDir } = upWith('cannot-exec', `[${program}]`);
    expect(status, stderr).toBe(1);
    expect(stderr).toContain(
      `web-0: the app exited with code 127 before its sidecar was ready: cannot run ${program}: spawn ${program} ENOENT; see `,
    );
    expect(processesNaming(stateDir)).toEqual([]);
    expect(existsSync(join(stateDir, 'local', 'run.json'))).toBe(false);
  });
});

describe('meshctl local up --detach when istiod cannot listen', () => {
  it("says istiod's reason where up was typed, not only in the supervisor's log, and leaves nothing running", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const { status, stderr, stateDir } = upWith('busy', `[node, -e, 'setInterval(() => 0, 1 << 30)']`, [
        ...['--detach', '--xds-port', String(port)],
      ]);
      expect(status, stderr).toBe(1);
      expect(stderr).toContain(
        `the mesh did not come up: istiod: listen EADDRINUSE: address already in use 127.0.0.1:${port}; see `,
      );
      expect(processesNaming(stateDir)).toEqual([]);
    } finally {
      busy.close();
    }
  });
});
