import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';

/**
 * Who may use what an explicit-mode sidecar serves on loopback to its own workload: the forward proxy
 * (15001, which speaks with the workload's identity) and the admin port (`/quitquitquit`).
 *
 * What the platform can tell about a loopback caller: not which workload it is — every app of the
 * local platform runs as the same user and connects from 127.0.0.1 whatever its own 127.x address
 * (the kernel picks that source for every loopback destination), so the source address says nothing —
 * but which user owns the caller's socket: the kernel lists both ends of a loopback connection in
 * `/proc/net/tcp` with their owner's uid. `same-user` therefore lets in the proxy's own user (the one
 * that started the mesh, its apps and `meshctl local exec`) and root (who can read everything anyway),
 * and refuses every other user of the machine. Separating one workload from another takes a user or
 * a network namespace per workload: transparent mode.
 *
 * The cost: a connection's verdict is decided once, by one read of the socket tables shared with the
 * connections accepted alongside it, and every request on it reuses the verdict.
 */

export type LocalCallerPolicy = 'same-user' | 'any';

export interface CallerSocket {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

/** The verdict on one connection; `reason` says why a caller was refused. */
export type CallerVerdict = { allowed: true } | { allowed: false; reason: string };

const PROC_NET = { v4: '/proc/net/tcp', v6: '/proc/net/tcp6' } as const;

/** `/proc/net/tcp*` prints each 32-bit word of an address as the host stores it, in hex. */
function words(bytes: Buffer): string {
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += 4) {
    const value = endianness() === 'LE' ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset);
    text += value.toString(16).toUpperCase().padStart(8, '0');
  }
  return text;
}

/** The 16 bytes of an IPv6 address; an IPv4 address as IPv4-mapped (`::ffff:a.b.c.d`). */
function ipv6Bytes(address: string): Buffer {
  const bytes = Buffer.alloc(16);
  const v4 = address.slice(address.lastIndexOf(':') + 1);
  if (isIPv4(v4)) {
    bytes.writeUInt16BE(0xffff, 10);
    Buffer.from(v4.split('.').map(Number)).copy(bytes, 12);
    return bytes;
  }
  const [head = '', tail] = (address.split('%')[0] ?? '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** An IPv4 address (also when Node shows it IPv4-mapped), or undefined for a real IPv6 one. */
function ipv4Of(address: string): string | undefined {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(plain) ? plain : undefined;
}

/**
 * How the kernel lists the caller's end of a connection, as `<caller> <us>` (hex address:port): in
 * `/proc/net/tcp` for an IPv4 socket, in `/proc/net/tcp6` for an IPv6 one — which is also where a
 * dual-stack client (Java's default) appears, with IPv4-mapped addresses, when it calls an IPv4 address.
 */
function callerKeys(caller: { address: string; port: number }, us: { address: string; port: number }) {
  const port = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const v6 = (e: { address: string; port: number }) => `${words(ipv6Bytes(e.address))}:${port(e.port)}`;
  const keys = [`${v6(caller)} ${v6(us)}`];
  const callerV4 = ipv4Of(caller.address);
  const usV4 = ipv4Of(us.address);
  if (callerV4 && usV4) {
    const v4 = (address: string, p: number) =>
      `${words(Buffer.from(address.split('.').map(Number)))}:${port(p)}`;
    keys.unshift(`${v4(callerV4, caller.port)} ${v4(usV4, us.port)}`);
  }
  return keys;
}

/** The kernel's TCP sockets, `<local> <remote>` as `/proc/net/tcp*` print them → the owner's uid. */
type SocketOwners = Map<string, number>;

async function readSocketOwners(): Promise<SocketOwners> {
  const owners: SocketOwners = new Map();
  for (const file of [PROC_NET.v4, PROC_NET.v6]) {
    let table: string;
    try {
      table = await readFile(file, 'utf8');
    } catch {
      continue; // no IPv6 here, or not Linux (LocalCallers.start says so)
    }
    for (const line of table.split('\n')) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
      const fields = line.trim().split(/\s+/);
      if (fields[7] !== undefined && /^\d+$/.test(fields[7]))
        owners.set(`${fields[1]} ${fields[2]}`, Number(fields[7]));
    }
  }
  return owners;
}

function ownerOf(socket: CallerSocket, owners: SocketOwners): number | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined;
  const keys = callerKeys(
    { address: remoteAddress, port: remotePort },
    { address: localAddress, port: localPort },
  );
  for (const key of keys) {
    const uid = owners.get(key);
    if (uid !== undefined) return uid;
  }
  return undefined;
}

/**
 * The uid owning the caller's end of a loopback connection, from the kernel's socket tables; undefined
 * when they do not list it (the caller has gone, or the tables are not there).
 */
export async function callerUid(socket: CallerSocket): Promise<number | undefined> {
  return ownerOf(socket, await readSocketOwners());
}

/**
 * Reads of the socket tables, shared between connections: a lookup joins the read that has not begun
 * yet, or queues one behind the read under way (which may have begun before its connection was
 * accepted, and so not list it). However many connections arrive at once, one read runs and one waits.
 */
class SocketTableReads {
  #running: Promise<unknown> = Promise.resolve();
  #waiting: Promise<SocketOwners> | undefined;

  next(): Promise<SocketOwners> {
    if (!this.#waiting) {
      const waiting = this.#running.then(() => {
        this.#waiting = undefined;
        return readSocketOwners();
      });
      this.#waiting = waiting;
      this.#running = waiting;
    }
    return this.#waiting;
  }
}

export class LocalCallers {
  readonly #verdicts = new WeakMap<CallerSocket, Promise<CallerVerdict>>();
  readonly #tables = new SocketTableReads();

  private constructor(
    readonly policy: LocalCallerPolicy,
    private readonly uid: number,
  ) {}

  /**
   * Fails when `same-user` cannot be enforced here (no `/proc/net/tcp`: not Linux). `uid` is the
   * proxy's own user.
   */
  static async start(policy: LocalCallerPolicy, uid = process.getuid?.() ?? -1): Promise<LocalCallers> {
    if (policy === 'same-user') {
      try {
        await readFile(PROC_NET.v4, 'utf8');
      } catch (err) {
        throw new Error(
          `--local-callers same-user needs the kernel's socket table ${PROC_NET.v4} to tell who owns a loopback caller ` +
            `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass --local-callers any to serve every local process`,
          { cause: err },
        );
      }
    }
    return new LocalCallers(policy, uid);
  }

  /** Whether the caller on this connection may be served; asked once per connection. */
  check(socket: CallerSocket): Promise<CallerVerdict> {
    let verdict = this.#verdicts.get(socket);
    if (!verdict) {
      verdict = this.#decide(socket);
      this.#verdicts.set(socket, verdict);
    }
    return verdict;
  }

  async #decide(socket: CallerSocket): Promise<CallerVerdict> {
    if (this.policy === 'any') return { allowed: true };
    const uid = ownerOf(socket, await this.#tables.next());
    if (uid === this.uid || uid === 0) return { allowed: true };
    return {
      allowed: false,
      reason:
        uid === undefined
          ? `the caller's socket (${socket.remoteAddress}:${socket.remotePort}) is not in the kernel's socket table`
          : `the caller runs as uid ${uid}; only uid ${this.uid} (the workload's user) and root may use this sidecar`,
    };
  }
}
