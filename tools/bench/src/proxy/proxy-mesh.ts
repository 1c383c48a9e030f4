import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  startIstiod,
  startSidecar,
  stopChild,
  waitUntil,
  type Istiod,
  type Sidecar,
} from './mesh-processes.js';
import { startOrigin } from './origin.js';
import type { SidecarRole } from './proxy-report.js';
import { createTarget, type Protocol, type Topology } from './targets.js';

/**
 * The benchmark's mesh: istiod with one Service `web` (HTTP on 8080, gRPC on 9090), the origin
 * process, the server sidecar `web` in front of it (127.0.30.2, app ports forwarded to the origin),
 * the client sidecar `client` (127.0.30.1, its forward proxy is what the load generator uses in the
 * two-proxy mode) and a sidecar `idle` (127.0.30.3) that never carries traffic, for memory figures.
 */

export const SERVICE = { host: 'web', httpPort: 8080, grpcPort: 9090 };
const ADDRESSES = { client: '127.0.30.1', server: '127.0.30.2', idle: '127.0.30.3' };
const ORIGIN_HOST = '127.0.0.1';

const WEB_SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports:
    - { name: http, port: ${SERVICE.httpPort}, targetPort: ${SERVICE.httpPort} }
    - { name: grpc, port: ${SERVICE.grpcPort}, targetPort: ${SERVICE.grpcPort} }
`;

export interface ProxyMesh {
  configDir: string;
  origin: { pid: number };
  istiod: { pid: number };
  sidecars: Record<SidecarRole | 'idle', Sidecar>;
  topology: Topology;
  /** Stops everything (SIGTERM first, so profiling sidecars write their profiles); idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the mesh under `scratch` and returns once a request of each protocol has gone through both
 * sidecars (the server sidecar registers its endpoint when it connects; the client's must learn it).
 * `nodeFlags(role)`: extra flags for a sidecar's node (`--cpu-prof`, `--heapsnapshot-signal`).
 */
export async function startProxyMesh(
  scratch: string,
  timeoutMs: number,
  nodeFlags: (role: SidecarRole | 'idle') => string[] = () => [],
): Promise<ProxyMesh> {
  const configDir = join(scratch, 'config');
  const stateDir = join(scratch, 'state');
  mkdirSync(configDir);
  mkdirSync(stateDir);
  writeFileSync(join(configDir, 'web.yaml'), WEB_SERVICE);
  const children: { child: Parameters<typeof stopChild>[0] }[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Sidecars first (they drain for 500 ms and write profiles), istiod and the origin last.
    for (const entry of [...children].reverse()) await stopChild(entry.child, 10_000);
  };
  try {
    const istiod: Istiod = await startIstiod(configDir, stateDir, timeoutMs);
    children.push(istiod);
    const origin = await startOrigin(ORIGIN_HOST, timeoutMs);
    children.push(origin);
    const start = async (
      role: SidecarRole | 'idle',
      name: string,
      inbound?: Record<number, { host: string; port: number }>,
    ) => {
      const sidecar = await startSidecar(
        istiod,
        stateDir,
        { name, address: ADDRESSES[role], inbound, nodeFlags: nodeFlags(role) },
        timeoutMs,
      );
      children.push(sidecar);
      return sidecar;
    };
    const server = await start('server', 'web', {
      [SERVICE.httpPort]: { host: ORIGIN_HOST, port: origin.httpPort },
      [SERVICE.grpcPort]: { host: ORIGIN_HOST, port: origin.grpcPort },
    });
    const client = await start('client', 'client');
    const idle = await start('idle', 'idle');
    const topology: Topology = {
      origin: { host: ORIGIN_HOST, httpPort: origin.httpPort, grpcPort: origin.grpcPort },
      serverSidecar: ADDRESSES.server,
      clientProxyUrl: `http://${ADDRESSES.client}:15001`,
      service: SERVICE,
    };
    for (const protocol of ['HTTP/1.1', 'gRPC'] as Protocol[])
      for (const mode of ['one proxy', 'two proxies'] as const)
        await waitUntil(
          () => oneRequest(createTarget(protocol, mode, topology, 1)),
          timeoutMs,
          () => `${protocol} through ${mode} does not work:\n${[...server.logs, ...client.logs].join('\n')}`,
        );
    return {
      configDir,
      origin: { pid: origin.child.pid as number },
      istiod: { pid: istiod.child.pid as number },
      sidecars: { client, server, idle },
      topology,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function oneRequest(target: ReturnType<typeof createTarget>): Promise<boolean> {
  try {
    return await new Promise<boolean>((resolve) => target.send(0, resolve));
  } finally {
    await target.close();
  }
}
