import { connect, createServer } from 'node:net';

/**
 * What the local platform probes on loopback: a free port for an app behind its sidecar, a free block
 * of workload addresses, and whether an app accepts connections yet (apps report no readiness; istiod
 * and the sidecars do, through `@mesh/launcher`).
 */

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
