import { connect, createServer, type Server } from 'node:net';

import type { EnvoyListener } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import { boundPortOf, RouterListeners } from '../../src/listeners/router-listeners.js';
import { parseProxyOptions } from '../../src/options.js';
import { proxyNode } from '../../src/xds/proxy-node.js';

/** Router mode binds the ports of istiod's gateway listeners and follows each config (issue 18 item 1). */

const HOST = '127.0.0.1';
const open: Server[] = [];

/** A binder answering each connection with the port it was accepted on, over real sockets. */
const binder = {
  listenRouterPort: (host: string, port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer((socket) => socket.end(`port ${port}`));
      server.once('error', reject);
      server.listen({ host, port }, () => resolve(server));
      open.push(server);
    }),
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0 }, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What the port answers, or the connection error's code. */
function call(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    let data = '';
    socket.on('data', (chunk) => (data += String(chunk)));
    socket.on('end', () => resolve(data));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function gatewayListener(port: number): EnvoyListener {
  return { name: `0.0.0.0_${port}`, address: { socket_address: { address: '0.0.0.0', port_value: port } } };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('RouterListeners', () => {
  it('binds the ports of the listeners received, then closes those a new config drops', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const errors: number[] = [];
    const router = new RouterListeners(HOST, binder, (port: number) => errors.push(port));
    await router.apply([gatewayListener(a)]);
    expect(router.ports).toEqual([a]);
    expect(await call(a)).toBe(`port ${a}`);
    expect(await call(b)).toBe('ECONNREFUSED');

    await router.apply([gatewayListener(b)]);
    expect(router.ports).toEqual([b]);
    expect(await call(a)).toBe('ECONNREFUSED');
    expect(await call(b)).toBe(`port ${b}`);
    expect(errors).toEqual([]);
  });

  it('reports a port it cannot bind, serves the others, and binds it once it is free', async () => {
    const [busy, free] = [await freePort(), await freePort()];
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: HOST, port: busy }, resolve));
    const errors: string[] = [];
    const router = new RouterListeners(HOST, binder, (port, error) =>
      errors.push(`${port} ${error.message}`),
    );
    await router.apply([gatewayListener(busy), gatewayListener(free)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${busy} listen EADDRINUSE`);
    expect(router.ports).toEqual([free]);
    expect(await call(free)).toBe(`port ${free}`);

    await new Promise((resolve) => squatter.close(resolve));
    await router.apply([gatewayListener(busy), gatewayListener(free)]);
    expect(router.ports).toEqual([busy, free].sort((x, y) => x - y));
    expect(await call(busy)).toBe(`port ${busy}`);
  });

  it('binds no sidecar listener: virtual ones (original destination) and bind_to_port false', () => {
    expect(boundPortOf({ ...gatewayListener(15001), use_original_dst: { value: true } })).toBeUndefined();
    expect(
      boundPortOf({ ...gatewayListener(9080), bind_to_port: { value: false } } as EnvoyListener),
    ).toBeUndefined();
    expect(boundPortOf(gatewayListener(8080))).toBe(8080);
  });
});

describe('--capture router', () => {
  const env = { POD_NAME: 'istio-ingressgateway-1', POD_NAMESPACE: 'istio-system', INSTANCE_IP: '10.0.0.20' };

  it('makes the proxy a router~ node, as Istio gateways identify to istiod', () => {
    const options = parseProxyOptions(['--capture', 'router'], env);
    expect(options.capture).toBe('router');
    expect(proxyNode(options).id).toBe(
      'router~10.0.0.20~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local',
    );
    expect(proxyNode(parseProxyOptions([], env)).id.startsWith('sidecar~')).toBe(true);
  });

  it('names the modes it accepts for anything else', () => {
    expect(() => parseProxyOptions(['--capture', 'gateway'], env)).toThrow(
      '--capture: "gateway" is not transparent, explicit or router',
    );
  });
});
