import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isAtLeast, minimumNodeVersion, pinnedNode } from './supported-node.js';

/**
 * A bin entry run by an older Node re-runs itself on the pinned one: proven with a real older Node
 * (the system's, found on PATH) running a fixture program whose package.json asks for the pinned
 * Node's version, so that only the pinned Node satisfies it.
 */

const WORKSPACE = join(import.meta.dirname, '..', '..', '..', '..');
const PINNED = pinnedNode(join(WORKSPACE, 'package.json')) as string;

function nodeVersion(node: string): string {
  return spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}
const PINNED_VERSION = nodeVersion(PINNED);

/** A Node on PATH older than the pinned one (the system's), if there is one. */
function olderNode(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (realpathSync(candidate) === realpathSync(PINNED)) continue;
    const version = nodeVersion(candidate);
    if (version !== '' && !isAtLeast(version, PINNED_VERSION)) return candidate;
  }
  return undefined;
}
const OLD_NODE = olderNode();

/**
 * The fixture program beside a package.json asking for `engines`. Under node_modules/.cache: inside the
 * workspace, so the program resolves @mesh/launcher and the pinned Node as a bin entry does.
 */
function fixture(engines: string): string {
  const cache = join(WORKSPACE, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'pinned-node-test-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, engines: { node: engines } }));
  copyFileSync(join(import.meta.dirname, 'testdata', 'program.mjs'), join(dir, 'program.mjs'));
  return join(dir, 'program.mjs');
}
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first stdout line matching `pattern`. */
function lineMatching(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) resolve(match);
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before printing ${pattern}: ${text}`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

describe('the Node a program needs', () => {
  it("is read from the nearest package.json stating engines.node (the workspace's)", () => {
    const { engines } = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(`>=${minimumNodeVersion(join(WORKSPACE, 'apps', 'cli', 'bin', 'run.js'))}`).toBe(engines.node);
  });

  it.each([
    ['20.20.2', '22.12', false],
    ['22.11.9', '22.12', false],
    ['22.12.0', '22.12', true],
    ['24.0.0', '22.12', true],
    ['24.21.0', '24.21.0', true],
  ])('%s is at least %s: %s', (version, minimum, expected) => {
    expect(isAtLeast(version, minimum)).toBe(expected);
  });

  it('a pinned Node that is itself too old fails at once with what to do, instead of re-running forever', () => {
    const result = spawnSync(PINNED, [fixture('>=999'), 'version'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`program: needs Node.js >= 999, this is v${PINNED_VERSION}`);
    expect(result.stderr).toContain('run "npm ci"');
  });
});

describe(`on an older Node (${OLD_NODE ?? 'none on PATH'}), a bin entry re-runs itself on the pinned Node`, () => {
  // The machines we support run npm on the system's Node, older than the pinned one (Debian's is 20):
  // without one, what this proves cannot be proven, which is a failure, not a skip.
  beforeAll(() => {
    if (OLD_NODE === undefined)
      throw new Error(`no Node older than the pinned v${PINNED_VERSION} on PATH (the system's node)`);
  });
  const program = fixture(`>=${PINNED_VERSION}`);
  const run = (args: string[], input?: string) =>
    spawnSync(OLD_NODE as string, [program, ...args], { encoding: 'utf8', timeout: 30_000, input });

  it('and runs there', () => {
    expect(run(['version'])).toMatchObject({ status: 0, stdout: `v${PINNED_VERSION}\n` });
  });

  it('exits with the exit code of that run', () => {
    expect(run(['exit', '3']).status).toBe(3);
  });

  it('dies of the signal that ended that run', () => {
    expect(run(['die', 'SIGTERM']).signal).toBe('SIGTERM');
  });

  it('passes stdin and stdout through', () => {
    expect(run(['echo'], 'abc').stdout).toBe('ABC');
  });

  it('hands the readiness descriptor on, and does not hold it open itself', async () => {
    const child = spawn(OLD_NODE as string, [program, 'ready-fd', '--ready-fd', '3'], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    let report = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.on('data', (chunk: Buffer) => (report += chunk.toString()));
    await new Promise((resolve) => pipe.on('end', resolve));
    expect(report).toBe('ready\n');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('forwards a SIGTERM sent to it, and exits as the run then does', async () => {
    const child = spawn(OLD_NODE as string, [program, 'wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [, pid] = await lineMatching(child, /waiting in (\d+)/);
    expect(Number(pid)).not.toBe(child.pid);
    const output = lineMatching(child, /SIGTERM in (\d+)/);
    child.kill('SIGTERM');
    expect((await output)[1]).toBe(pid);
    expect(await exitOf(child)).toEqual({ code: 7, signal: null });
  });

  it("delivers a terminal's Ctrl-C (SIGINT to the job's process group) to the run once", async () => {
    const child = spawn(OLD_NODE as string, [program, 'wait'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true, // the job: its own process group, as a shell makes one
    });
    await lineMatching(child, /waiting in \d+/);
    const output = lineMatching(child, /SIGINT x(\d+)/);
    process.kill(-(child.pid as number), 'SIGINT');
    expect((await output)[1]).toBe('1');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });
});
