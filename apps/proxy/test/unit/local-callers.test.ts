import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { callerUid, LocalCallers } from '../../src/listeners/local-callers.js';

/**
 * Who owns a loopback caller, as the kernel's socket table says, with real sockets: the check the
 * explicit-mode forward proxy and admin port make before serving anyone.
 */

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const NOBODY = 65534;
const me = process.getuid?.() ?? -1;

/** A server on `host`; resolves with the server side of the next connection and how to close it. */
async function listening(host: string): Promise<{ port: number; accepted: Promise<Socket> }> {
  const server = createServer();
  servers.push(server);
  const accepted = once(server, 'connection').then(([socket]) => socket as Socket);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as { port: number }).port, accepted };
}

/** A client in another process, as `uid` when given (root only), holding its connection open. */
function clientProcess(host: string, port: number, uid?: number) {
  const script = `require('net').connect(${port}, ${JSON.stringify(host)}); setTimeout(() => {}, 10000)`;
  return spawn(process.execPath, ['-e', script], {
    stdio: 'ignore',
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
}

describe('callerUid', () => {
  it('finds the uid owning the caller’s socket, which calls the workload address from 127.0.0.1', async () => {
    const { port, accepted } = await listening('127.0.52.2');
    const client = clientProcess('127.0.52.2', port);
    try {
      const socket = await accepted;
      // The kernel's source for every loopback destination: the address cannot tell callers apart.
      expect(socket.remoteAddress).toBe('127.0.0.1');
      expect(await callerUid(socket)).toBe(me);
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('finds a dual-stack (IPv6) client calling the IPv4 address, in /proc/net/tcp6', async () => {
    const { port, accepted } = await listening('127.0.52.6');
    const script = `require('net').connect(${port}, '::ffff:127.0.52.6'); setTimeout(() => {}, 10000)`;
    const client = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      expect(await callerUid(await accepted)).toBe(me);
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('is undefined for a connection the table does not list', async () => {
    expect(
      await callerUid({ remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2 }),
    ).toBeUndefined();
  });
});

describe('LocalCallers same-user', () => {
  it('serves a caller of the proxy’s own user', async () => {
    const callers = await LocalCallers.start('same-user');
    const { port, accepted } = await listening('127.0.52.3');
    const client = clientProcess('127.0.52.3', port);
    try {
      expect(await callers.check(await accepted)).toEqual({ allowed: true });
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('refuses a caller of another user, saying which uid it runs as', async () => {
    // As root, the caller really runs as nobody; otherwise the proxy is taken to run as another user.
    const asRoot = me === 0;
    const callers = await LocalCallers.start('same-user', asRoot ? 0 : me + 1);
    const { port, accepted } = await listening('127.0.52.4');
    const client = clientProcess('127.0.52.4', port, asRoot ? NOBODY : undefined);
    try {
      const caller = asRoot ? NOBODY : me;
      expect(await callers.check(await accepted)).toEqual({
        allowed: false,
        reason: `the caller runs as uid ${caller}; only uid ${asRoot ? 0 : me + 1} (the workload's user) and root may use this sidecar`,
      });
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('serves every caller of a burst: connections accepted during a read of the tables wait for the next', async () => {
    const callers = await LocalCallers.start('same-user');
    const server = createServer();
    servers.push(server);
    const verdicts: Promise<unknown>[] = [];
    server.on('connection', (socket: Socket) => verdicts.push(callers.check(socket)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.52.7', resolve));
    const { port } = server.address() as { port: number };
    const script = `for (let i = 0; i < 30; i++) require('net').connect(${port}, '127.0.52.7'); setTimeout(() => {}, 10000)`;
    const client = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      while (verdicts.length < 30) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await Promise.all(verdicts)).toEqual(Array(30).fill({ allowed: true }));
    } finally {
      client.kill('SIGKILL');
    }
  });

  it('serves anyone with --local-callers any', async () => {
    const callers = await LocalCallers.start('any', me + 1);
    const { port, accepted } = await listening('127.0.52.5');
    const client = clientProcess('127.0.52.5', port);
    try {
      expect(await callers.check(await accepted)).toEqual({ allowed: true });
    } finally {
      client.kill('SIGKILL');
    }
  });
});
