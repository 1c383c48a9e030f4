import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { LaunchError } from './launch-error.js';
import { ManagedProcess } from './managed-process.js';
import { MeshProgram } from './mesh-program.js';

const FAKE = fileURLToPath(new URL('./testdata/fake-program.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fake(behaviour: string, readyTimeoutMs = 60_000): MeshProgram<'istiod'> {
  return new MeshProgram('istiod', ['node', FAKE, behaviour, '--ready-fd', '3'], {
    logs: { memory: true },
    readyTimeoutMs,
  });
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function exists(pid: number | undefined): boolean {
  try {
    process.kill(pid as number, 0);
    return true;
  } catch {
    return false;
  }
}

async function launchError(program: MeshProgram<'istiod'>): Promise<LaunchError> {
  const error = await program.ready.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(LaunchError);
  return error as LaunchError;
}

describe('MeshProgram readiness', () => {
  it('resolves with the ports the program reports', async () => {
    const program = fake('ready');
    expect(await program.ready).toEqual({ xdsPort: 15010, secureXdsPort: 15012, monitoringPort: 15014 });
    expect(program.running).toBe(true);
    expect(await program.stop()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  // The readiness timeout is a minute: these complete only because the launcher acts on the report.
  it('reports a start-up failure with the program reason, and only once nothing of it runs', async () => {
    const program = fake('fail-and-hang');
    const error = await launchError(program);
    expect(error.code).toBe('LAUNCH_FAILED');
    expect(error.reason).toBe('listen EADDRINUSE: address already in use 127.0.0.1:15012');
    expect(error.message).toContain('istiod: listen EADDRINUSE');
    expect(program.running).toBe(false);
    expect(exists(program.pid)).toBe(false);
  });

  it('reports a program that exits before it reports, with its exit and last line', async () => {
    const program = fake('exit');
    const error = await launchError(program);
    expect(error.code).toBe('LAUNCH_EXITED');
    expect(error.reason).toBe('exited with code 2: fake: --config-dir is required');
  });

  it('refuses a report that breaks the contract (a log sentence) and stops the program', async () => {
    const program = fake('garbage');
    const error = await launchError(program);
    expect(error.code).toBe('LAUNCH_BAD_REPORT');
    expect(error.reason).toContain('not JSON: "istiod is serving"');
    expect(exists(program.pid)).toBe(false);
  });

  it('stops reading a report that never ends, and the program', async () => {
    const program = fake('flood');
    const error = await launchError(program);
    expect(error.code).toBe('LAUNCH_BAD_REPORT');
    expect(error.reason).toMatch(/^invalid readiness report: not JSON: "x{200}"$/);
    expect(exists(program.pid)).toBe(false);
  });

  it('stops a program that does not report in time', async () => {
    const program = fake('silent-stubborn', 1500);
    const error = await launchError(program);
    expect(error.code).toBe('LAUNCH_TIMEOUT');
    expect(error.reason).toBe('not ready within 1.5 s');
    expect(exists(program.pid)).toBe(false);
    expect(error.details).toContain('fake program: silent-stubborn');
  });

  it('reports a command that cannot be run at all', async () => {
    const program = new MeshProgram('istiod', [join(dir, 'no-such-command')], { logs: { memory: true } });
    const error = await launchError(program);
    expect(error.code).toBe('LAUNCH_EXITED');
    expect(error.reason).toMatch(/cannot run .*no-such-command: spawn .* ENOENT/);
  });
});

/** Whether `pid` runs (a zombie, killed but not yet reaped by whoever adopted it, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('ManagedProcess', () => {
  it('stops what the process started too: it runs in a process group of its own', async () => {
    // A helper that ignores SIGTERM, as a workload's child might, and outlives its parent.
    const helper = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)";
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(helper)}], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000)`;
    const parent = new ManagedProcess({
      name: 'workload',
      argv: ['node', '-e', script],
      logs: { memory: true },
    });
    while (parent.logs.lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const helperPid = Number(parent.logs.lines[0]);
    expect(running(helperPid)).toBe(true);
    expect(await parent.stop({ graceMs: 2000 })).toEqual({ code: null, signal: 'SIGTERM' });
    for (let i = 0; i < 50 && running(helperPid); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(running(helperPid)).toBe(false);
  });

  it('appends stdout and stderr to a log file, which explains a failure', async () => {
    const file = join(dir, 'fake.log');
    const program = new MeshProgram('istiod', ['node', FAKE, 'exit', '--ready-fd', '3'], {
      logs: { file },
    });
    const error = await launchError(program);
    expect(readFileSync(file, 'utf8')).toBe('fake program: exit\nfake: --config-dir is required\n');
    expect(error.details).toBe(`see ${file}`);
    expect(error.reason).toBe('exited with code 2: fake: --config-dir is required');
  });

  it('keeps a log file readable by its owner only, also one an earlier run left readable by all', async () => {
    const fresh = join(dir, 'fresh.log');
    const earlier = join(dir, 'earlier.log');
    writeFileSync(earlier, 'an earlier run\n', { mode: 0o644 });
    chmodSync(earlier, 0o644);
    for (const file of [fresh, earlier]) {
      const child = new ManagedProcess({
        name: 'logger',
        argv: ['node', '-e', 'console.log(1)'],
        logs: { file },
      });
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier run\n1\n');
  });

  it('keeps only the last lines when asked, and shows every line to onLine', async () => {
    const seen: string[] = [];
    const script = 'for (let i = 1; i <= 5; i++) console.log(`line ${i}`)';
    const child = new ManagedProcess({
      name: 'counter',
      argv: ['node', '-e', script],
      logs: { memory: true, maxLines: 2, onLine: (line) => seen.push(line) },
    });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.logs.lines).toEqual(['line 4', 'line 5']);
    expect(seen).toHaveLength(5);
  });

  it('stop() sends SIGTERM, then SIGKILL after the grace', async () => {
    const program = fake('silent-stubborn');
    while (!program.logs.lines.includes('SIGTERM is ignored from now on'))
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await program.stop({ graceMs: 300 })).toEqual({ code: null, signal: 'SIGKILL' });
    expect(program.logs.lines).toContain('ignoring SIGTERM');
    expect(await program.stop()).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
