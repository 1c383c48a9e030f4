import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, realpathSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The processes of a local mesh: istiod, each workload's app and its `mesh-proxy`, started from the
 * installed packages with this Node, their output in log files of the state directory.
 */

/**
 * The entry point of an installed package's command, from its package.json `bin` (found in the nearest
 * `node_modules/<package>` up from here, as Node resolves packages). The CLI runs istiod and the proxy
 * as programs, never imports them.
 */
function installedBin(packageName: string, command: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', packageName, 'package.json');
    if (existsSync(manifest)) {
      const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> }).bin?.[
        command
      ];
      const entry = bin && join(dirname(realpathSync(manifest)), bin);
      if (!entry || !existsSync(entry)) throw new Error(`${command} is not built (npm run build)`);
      return entry;
    }
    if (dirname(dir) === dir) throw new Error(`${packageName} is not installed (npm ci)`);
  }
}

export const BINARIES = {
  istiod: () => installedBin('@mesh/istiod', 'istiod'),
  proxy: () => installedBin('@mesh/proxy', 'mesh-proxy'),
};

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
}

/** Starts a process whose stdout and stderr go to `logFile` (appended). `node` means this Node. */
export function startLogged(
  name: string,
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; detached?: boolean },
): ManagedProcess {
  const [command, ...args] = argv;
  const executable = command === 'node' ? process.execPath : (command as string);
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(executable, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', () => log.end());
  child.once('error', (err) => log.write(`${name}: cannot start: ${err.message}\n`));
  return { name, child, logFile: options.logFile };
}

export interface IstiodPorts {
  xdsPort: number;
  secureXdsPort: number;
  monitoringPort: number;
}

/** Starts istiod and resolves with its ports once it logs "istiod is serving". */
export function startIstiod(
  args: readonly string[],
  options: { cwd: string; logFile: string },
): Promise<{ process: ManagedProcess; ports: IstiodPorts }> {
  const managed = startLogged('istiod', ['node', BINARIES.istiod(), ...args], {
    ...options,
    env: process.env,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`istiod did not start within 30 s; see ${options.logFile}`)),
      30_000,
    );
    managed.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`istiod exited with code ${code}; see ${options.logFile}`));
    });
    if (!managed.child.stdout) return reject(new Error('istiod has no stdout'));
    createInterface({ input: managed.child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string } & IstiodPorts;
        if (entry.msg !== 'istiod is serving') return;
        clearTimeout(timer);
        resolve({ process: managed, ports: entry });
      } catch {
        // not a JSON log line
      }
    });
  });
}

/** A free TCP port on `host` (the app then binds it; the window is small and local). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether `host:port` can be bound (nothing listens there). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The first `127.0.<n>` block (n from 10) whose first `count` addresses have no sidecar yet (their
 * outbound port 15001 is free), so meshes on other state directories can run side by side.
 */
export async function freeLoopbackBlock(count: number): Promise<string> {
  for (let n = 10; n < 255; n++) {
    const block = `127.0.${n}`;
    const free = await Promise.all(
      Array.from({ length: Math.max(1, count) }, (_, i) => bindable(`${block}.${i + 1}`, 15001)),
    );
    if (free.every(Boolean)) return block;
  }
  throw new Error('no free 127.0.<n>.x block of loopback addresses');
}

/** Whether something accepts TCP connections on `host:port`. */
export function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Polls `check` every 100 ms until it holds; throws `message()` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL for what is still alive after `graceMs`. */
export async function stopAll(processes: readonly ManagedProcess[], graceMs = 5000): Promise<void> {
  const alive = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  const exits = alive.map((p) => new Promise<void>((resolve) => p.child.once('exit', () => resolve())));
  for (const p of alive) p.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const p of alive) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }, graceMs);
  await Promise.all(exits);
  clearTimeout(timer);
}
