import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  istiodRootCert,
  secureXdsAddress,
  startSidecar,
  waitUntil,
  writeJoinTokenFile,
  type AppEndpoint,
  type ManagedProcess,
} from '@mesh/launcher';

import { startBenchIstiod } from '../common/bench-istiod.js';
import { startOrigin } from './origin.js';
import type { SidecarRole } from './proxy-report.js';
import { createTarget, type Protocol, type Topology } from './targets.js';

/**
 * The benchmark's mesh, started by the launcher `meshctl local` uses: istiod with one Service `web` (HTTP on 8080, gRPC on 9090), the origin
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

export interface Sidecar {
  name: string;
  /** Its own loopback address; every listener of the sidecar binds there. */
  address: string;
  pid: number;
  adminUrl: string;
  /** Its last 200 log lines. */
  logs: string[];
}

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
  const processes: ManagedProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Sidecars first (they drain for 500 ms and write profiles), istiod and the origin last.
    for (const child of [...processes].reverse()) await child.stop({ graceMs: 10_000 });
  };
  try {
    const { istiod, ports } = await startBenchIstiod(
      { configDir, stateDir, pushDebounceMs: 10 },
      { readyTimeoutMs: timeoutMs },
    );
    processes.push(istiod);
    const origin = await startOrigin(ORIGIN_HOST, timeoutMs);
    processes.push(origin.process);
    const start = async (
      role: SidecarRole | 'idle',
      name: string,
      inbound?: Record<number, AppEndpoint>,
    ): Promise<Sidecar> => {
      const identity = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: name };
      const tokenFile = join(stateDir, `${name}.token`);
      await writeJoinTokenFile(stateDir, identity, tokenFile, 24 * 3600);
      const address = ADDRESSES[role];
      const sidecar = startSidecar(
        {
          podName: name,
          namespace: identity.namespace,
          serviceAccount: name,
          instanceIp: address,
          labels: { app: name },
          istiodAddress: secureXdsAddress('127.0.0.1', ports),
          caRootCert: istiodRootCert({ stateDir }),
          tokenFile,
          capture: { mode: 'explicit', inbound: inbound ?? {} },
          drainMs: 500,
          logLevel: 'warn',
        },
        {
          nodeFlags: nodeFlags(role),
          logs: { memory: true, maxLines: 200 },
          readyTimeoutMs: timeoutMs,
        },
      );
      processes.push(sidecar);
      const { adminPort } = await sidecar.ready;
      return {
        name,
        address,
        pid: sidecar.pid as number,
        adminUrl: `http://127.0.0.1:${adminPort}`,
        logs: sidecar.logs.lines,
      };
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
      origin: { pid: origin.process.pid as number },
      istiod: { pid: istiod.pid as number },
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
