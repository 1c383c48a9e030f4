import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { READY_FD_FLAG } from '../readiness/readiness-report.js';

/**
 * The mesh's commands (meshctl, istiod, mesh-proxy) need the Node the workspace's `engines` names;
 * the workspace pins one (the `node` devDependency). `npx` and npm scripts put it first on PATH, but a
 * shell running `node_modules/.bin/meshctl`, or a bin's `#!/usr/bin/env node`, may find an older
 * system Node, on which the apps crash while loading (undici). There the command runs itself again on
 * the pinned Node and exits as that run does. This module runs on the old Node: builtins only.
 */

/** Signals a terminal or a supervisor sends to a job; the re-run's process group gets each of them. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH'] as const;

/** `>=22.12` from the nearest package.json up from `file` that states `engines.node` (the workspace's). */
export function minimumNodeVersion(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const range = (JSON.parse(readFileSync(manifest, 'utf8')) as { engines?: { node?: string } }).engines
        ?.node;
      if (range !== undefined) return /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim())?.[1];
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Whether `version` (`20.20.2`) is at least `minimum` (`22.12`). */
export function isAtLeast(version: string, minimum: string): boolean {
  const have = version.split('.').map(Number);
  const want = minimum.split('.').map(Number);
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The workspace's pinned Node (`node_modules/node/bin/node`), as Node resolves packages from `file`. */
export function pinnedNode(file: string): string | undefined {
  try {
    return createRequire(file).resolve('node/bin/node');
  } catch {
    return undefined;
  }
}

/**
 * Returns when this Node satisfies the workspace's `engines`; otherwise runs `entryUrl` (the calling
 * bin, `import.meta.url`) with the same arguments on the pinned Node and never returns: this process
 * exits with the re-run's exit code, or dies of the signal that ended it.
 */
export async function runOnSupportedNode(entryUrl: string): Promise<void> {
  const entry = fileURLToPath(entryUrl);
  const minimum = minimumNodeVersion(entry);
  if (minimum === undefined || isAtLeast(process.versions.node, minimum)) return;
  const command = basename(process.argv[1] ?? entry).replace(/\.[cm]?js$/, '');
  const node = pinnedNode(entry);
  // The pinned Node itself too old (an engines bump without npm ci) must not re-run forever.
  if (node === undefined || realpathSync(node) === realpathSync(process.execPath)) {
    console.error(
      `${command}: needs Node.js >= ${minimum}, this is ${process.version}, and the workspace's pinned Node ` +
        `(the "node" devDependency) is ${node === undefined ? 'not installed' : 'no newer'}: run "npm ci"`,
    );
    process.exit(1);
  }
  await rerun(node, entry);
}

/** The readiness descriptor the arguments name (`--ready-fd 3`), which the re-run must inherit too. */
function readyFd(args: readonly string[]): number | undefined {
  const i = args.findIndex((a) => a === READY_FD_FLAG || a.startsWith(`${READY_FD_FLAG}=`));
  if (i < 0) return undefined;
  const fd = Number((args[i] as string).includes('=') ? (args[i] as string).split('=')[1] : args[i + 1]);
  return Number.isInteger(fd) && fd >= 3 && fd <= 64 ? fd : undefined;
}

function rerun(node: string, entry: string): Promise<never> {
  const args = process.argv.slice(2);
  const fd = readyFd(args);
  const child = spawn(node, [...process.execArgv, entry, ...args], {
    // stdin, stdout, stderr, and the readiness descriptor at its own number.
    stdio:
      fd === undefined ? 'inherit' : ['inherit', 'inherit', 'inherit', ...Array(fd - 3).fill('ignore'), fd],
    // Its own process group, so that a terminal's Ctrl-C reaches it once (forwarded by this process,
    // which the terminal signals) rather than twice; every forwarded signal goes to the whole group,
    // as the terminal's would have.
    detached: true,
  });
  // The launcher reading the descriptor sees it close when the re-run closes it, not when we exit.
  if (fd !== undefined) closeSync(fd);
  const forward = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone: the 'exit' event follows.
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise<never>(() => {
    child.on('error', (err) => {
      console.error(`cannot run ${node}: ${err.message}`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      if (signal !== null) {
        // Die of the same signal, as a shell or supervisor expects; for one whose default is to be
        // ignored, exit as a shell reports a signal death.
        process.kill(process.pid, signal);
        process.exit(128 + constants.signals[signal]);
      }
      process.exit(code ?? 1);
    });
  });
}
