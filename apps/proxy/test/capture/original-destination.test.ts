import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { CaptureError, istioCaptureRules, originalDestination } from '../../src/capture/index.js';
import {
  closeServer,
  namespaceTestsUnavailable,
  NetworkNamespace,
  nextConnection,
} from './network-namespace.js';

const APP = { uid: 1000, gid: 1000 };
const PROXY = { uid: 1337, gid: 1337 };

function koffiLoaded(): boolean {
  const report = process.report.getReport() as unknown as { sharedObjects: string[] };
  return report.sharedObjects.some((path) => /koffi/i.test(path));
}

describe.skipIf(process.platform !== 'linux')('originalDestination without redirection', () => {
  // Must stay the first test of this file (vitest runs them in order, in a process of their own):
  // importing the module above must not have loaded the native addon.
  it('loads koffi on first use, not on import', async () => {
    expect(koffiLoaded()).toBe(false);
    await withLoopbackConnection(async (client) => originalDestination(client));
    expect(koffiLoaded()).toBe(true);
  });

  it('returns undefined for a connection that was not redirected, on both ends', async () => {
    await withLoopbackConnection(async (client, accepted) => {
      expect(originalDestination(accepted)).toBeUndefined();
      expect(originalDestination(client)).toBeUndefined();
    });
  });

  it('throws CAPTURE_NO_FILE_DESCRIPTOR for a socket that is already destroyed', async () => {
    await withLoopbackConnection(async (client) => {
      client.destroy();
      expect(() => originalDestination(client)).toThrow(CaptureError);
      expect(() => originalDestination(client)).toThrow(
        expect.objectContaining({ code: 'CAPTURE_NO_FILE_DESCRIPTOR' }),
      );
    });
  });
});

async function withLoopbackConnection(test: (client: Socket, accepted: Socket) => Promise<unknown>) {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = nextConnection(server, 'on loopback');
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const socket = await accepted;
  try {
    await test(client, socket);
  } finally {
    client.destroy();
    socket.destroy();
    closeServer(server);
  }
}

const unavailable = namespaceTestsUnavailable();
if (unavailable) console.warn(`transparent-capture namespace tests skipped: ${unavailable}`);

/**
 * Two namespaces joined by a veth pair: "app" (10.1.2.1, fd00:1::1) holds the workload and its proxy,
 * with istio-iptables' rules applied; "peer" (10.1.2.3, fd00:1::3) is another pod. Connections to the
 * peer must leave through the veth (an address on lo would be treated as the app calling itself, and
 * deliberately not captured).
 */
describe.skipIf(unavailable !== undefined)(
  `originalDestination behind istio-iptables REDIRECT (netns${unavailable ? `; skipped: ${unavailable}` : ''})`,
  () => {
    let app: NetworkNamespace;
    let peer: NetworkNamespace;
    const servers: Server[] = [];

    beforeAll(() => {
      app = NetworkNamespace.create('capture-app');
      peer = NetworkNamespace.create('capture-peer');
      const [appSide, peerSide] = [`va${process.pid % 100000}`, `vp${process.pid % 100000}`];
      app.ip('link', 'add', appSide, 'type', 'veth', 'peer', 'name', peerSide, 'netns', peer.name);
      for (const [ns, dev, v4, v6] of [
        [app, appSide, '10.1.2.1/24', 'fd00:1::1/64'],
        [peer, peerSide, '10.1.2.3/24', 'fd00:1::3/64'],
      ] as const) {
        ns.ip('addr', 'add', v4, 'dev', dev);
        ns.ip('addr', 'add', v6, 'dev', dev, 'nodad');
        ns.ip('link', 'set', dev, 'up');
      }
      app.exec('iptables-restore', ['--noflush'], istioCaptureRules({ family: 4 }).restoreText);
      app.exec('ip6tables-restore', ['--noflush'], istioCaptureRules({ family: 6 }).restoreText);
    });

    // Per test, pass or fail: a listener left behind would hold 15001 for the next test.
    afterEach(() => servers.splice(0).forEach(closeServer));

    afterAll(() => {
      app?.delete();
      peer?.delete();
    });

    async function listen(
      ns: NetworkNamespace,
      ...endpoints: { host: string; port: number; ipv6Only?: boolean }[]
    ) {
      const listening = await ns.listen(...endpoints);
      servers.push(...listening);
      return listening;
    }

    it('redirects an app connection to 10.1.2.3:8080 to 15001, where 10.1.2.3:8080 is read back', async () => {
      const [outbound] = await listen(app, { host: '0.0.0.0', port: 15001 });
      const accepted = nextConnection(outbound!, 'on 15001');
      const clientPort = await app.connect('10.1.2.3', 8080, APP);
      const socket = await accepted;
      expect(socket.remotePort).toBe(clientPort);
      expect(socket.localPort).toBe(15001);
      expect(originalDestination(socket)).toEqual({ address: '10.1.2.3', port: 8080, family: 'IPv4' });
    });

    it('does not redirect the proxy uid 1337: its connection reaches 10.1.2.3:8080 itself', async () => {
      const [outbound] = await listen(app, { host: '0.0.0.0', port: 15001 });
      const [upstream] = await listen(peer, { host: '10.1.2.3', port: 8080 });
      let captured = 0;
      outbound!.on('connection', (s: Socket) => {
        captured++;
        s.destroy();
      });
      const accepted = nextConnection(upstream!, 'on the peer 10.1.2.3:8080');
      const clientPort = await app.connect('10.1.2.3', 8080, PROXY);
      const socket = await accepted;
      expect(socket.remoteAddress).toBe('10.1.2.1');
      expect(socket.remotePort).toBe(clientPort);
      expect(originalDestination(socket)).toBeUndefined();
      expect(captured).toBe(0);
    });

    it('redirects IPv6 with ip6tables and reads [fd00:1::3]:8080 back', async () => {
      const [outbound] = await listen(app, { host: '::', port: 15001, ipv6Only: true });
      const accepted = nextConnection(outbound!, 'on [::]:15001');
      const clientPort = await app.connect('fd00:1::3', 8080, APP);
      const socket = await accepted;
      expect(socket.remotePort).toBe(clientPort);
      expect(originalDestination(socket)).toEqual({ address: 'fd00:1::3', port: 8080, family: 'IPv6' });
    });

    it('reads the IPv4 destination on a dual-stack [::]:15001 listener (::ffff: addresses)', async () => {
      const [outbound] = await listen(app, { host: '::', port: 15001 });
      const accepted = nextConnection(outbound!, 'on dual-stack [::]:15001');
      await app.connect('10.1.2.3', 9090, APP);
      const socket = await accepted;
      expect(socket.localAddress).toBe('::ffff:127.0.0.1');
      expect(originalDestination(socket)).toEqual({ address: '10.1.2.3', port: 9090, family: 'IPv4' });
    });

    it('redirects inbound connections to 15006 but leaves the excluded health port 15021 alone', async () => {
      const [inbound, health] = await listen(
        app,
        { host: '0.0.0.0', port: 15006 },
        { host: '0.0.0.0', port: 15021 },
      );
      const capturedInbound = nextConnection(inbound!, 'on 15006');
      await peer.connect('10.1.2.1', 9080, APP);
      const captured = await capturedInbound;
      expect(originalDestination(captured)).toEqual({ address: '10.1.2.1', port: 9080, family: 'IPv4' });

      const direct = nextConnection(health!, 'on 15021');
      await peer.connect('10.1.2.1', 15021, APP);
      const healthCheck = await direct;
      expect(originalDestination(healthCheck)).toBeUndefined();
    });
  },
);
