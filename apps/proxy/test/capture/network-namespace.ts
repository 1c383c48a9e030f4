import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';

/**
 * Network namespaces for the transparent-capture tests (DESIGN.md §8, level 4): real kernels, real
 * iptables, real sockets. Everything is bounded by timeouts so a broken setup fails fast instead of
 * hanging the suite.
 */

const COMMAND_TIMEOUT_MS = 5_000;
const CHILD_SCRIPT = join(import.meta.dirname, 'netns-child.mjs');

function toolAvailable(command: string, versionArg: string): boolean {
  const result = spawnSync(command, [versionArg], { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  return result.error === undefined && result.status === 0;
}

/** Why namespace tests cannot run here, or undefined when they can. */
export function namespaceTestsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'not running as root';
  for (const [tool, arg] of [
    ['ip', '-V'],
    ['iptables', '--version'],
    ['iptables-restore', '--version'],
    ['iptables-save', '--version'],
    ['ip6tables-restore', '--version'],
    ['ip6tables-save', '--version'],
  ] as const) {
    if (!toolAvailable(tool, arg)) return `${tool} is not installed`;
  }
  return undefined;
}

/** Runs a command to completion; throws with its stderr when it fails. */
export function run(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

export class NetworkNamespace {
  private constructor(readonly name: string) {}

  /** A fresh namespace with a unique name and `lo` up. */
  static create(prefix: string): NetworkNamespace {
    const namespace = new NetworkNamespace(`${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`);
    run('ip', ['netns', 'add', namespace.name]);
    run('ip', ['-n', namespace.name, 'link', 'set', 'lo', 'up']);
    return namespace;
  }

  /** `ip -n <ns> ...` */
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Runs a command inside the namespace. */
  exec(command: string, args: readonly string[], input?: string): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args], input);
  }

  /** Idempotent; deleting the namespace also deletes its interfaces and its iptables rules. */
  delete(): void {
    spawnSync('ip', ['netns', 'delete', this.name], { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  }

  /**
   * Listening sockets bound inside the namespace, handed to this process over IPC (SCM_RIGHTS): the
   * test then accepts, and calls originalDestination on, connections that live in the namespace.
   */
  async listen(...endpoints: { host: string; port: number; ipv6Only?: boolean }[]): Promise<Server[]> {
    const specs = endpoints.map((e) => `${e.host}@${e.port}@${e.ipv6Only ? 'v6only' : 'any'}`);
    const child = this.spawnChild(['listen', ...specs]);
    const servers: Server[] = [];
    const received = new Promise<Server[]>((resolve, reject) => {
      child.on('message', (message: { error?: string }, server?: Server) => {
        if (message.error || !server) return reject(new Error(`listen in ${this.name}: ${message.error}`));
        servers.push(server);
        if (servers.length === endpoints.length) resolve(servers);
      });
      child.on('exit', (code) => code !== 0 && reject(new Error(`listen helper exited with ${code}`)));
    });
    return withTimeout(received, `listening in ${this.name}`);
  }

  /**
   * Connects from inside the namespace as `uid`/`gid` (the owner iptables matches on) and resolves
   * with the client's local port once connected; the client waits for the server to close.
   */
  async connect(host: string, port: number, owner: { uid: number; gid: number }): Promise<number> {
    const child = this.spawnChild(['connect', host, String(port), String(owner.uid), String(owner.gid)]);
    const connected = new Promise<number>((resolve, reject) => {
      child.on('message', (message: { localPort?: number; error?: string }) => {
        if (message.localPort !== undefined) resolve(message.localPort);
        else reject(new Error(`connect to ${host}:${port} in ${this.name}: ${message.error}`));
      });
      child.on('exit', (code) => code !== 0 && reject(new Error(`connect helper exited with ${code}`)));
    });
    return withTimeout(connected, `connecting to ${host}:${port}`);
  }

  private spawnChild(args: string[]) {
    const child = spawn('ip', ['netns', 'exec', this.name, process.execPath, CHILD_SCRIPT, ...args], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      timeout: COMMAND_TIMEOUT_MS,
    });
    child.on('error', () => undefined); // surfaced through 'exit' and the timeouts
    return child;
  }
}

export async function withTimeout<T>(promise: Promise<T>, what: string, ms = COMMAND_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const acceptedSockets = new Set<Socket>();

/** The next connection the server accepts (start waiting before connecting). */
export async function nextConnection(server: Server, what: string): Promise<Socket> {
  try {
    const [socket] = await once(server, 'connection', { signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) });
    acceptedSockets.add(socket as Socket);
    return socket as Socket;
  } catch (error) {
    throw new Error(`no connection ${what} within ${COMMAND_TIMEOUT_MS} ms`, { cause: error });
  }
}

/**
 * Stops listening at once (the port is free again when this returns) and destroys the connections
 * nextConnection() handed out: server.close() alone would wait for them, and a test that failed
 * half-way leaves some open.
 */
export function closeServer(server: Server): void {
  server.close();
  for (const socket of acceptedSockets) socket.destroy();
  acceptedSockets.clear();
}
