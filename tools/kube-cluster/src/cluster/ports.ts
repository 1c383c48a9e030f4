import { createServer, type Server } from 'node:net';

/**
 * Loopback ports for a cluster: the ones asked for must be free (a clear error names the port and
 * who asked for it), the others are picked by the kernel. All are held open together while they are
 * chosen, so one cluster never gets the same port twice.
 */
export interface PortRequest {
  /** What the port is for, for the error message (`the API server port (--port)`). */
  readonly purpose: string;
  /** A fixed port; 0 or undefined lets the kernel choose. */
  readonly port?: number;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    purpose: string,
  ) {
    super(`port ${port} on 127.0.0.1 (${purpose}) is already in use`);
    this.name = 'PortInUseError';
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function reservePorts<K extends string>(
  requests: Readonly<Record<K, PortRequest>>,
): Promise<Record<K, number>> {
  const held: Server[] = [];
  try {
    const ports = {} as Record<K, number>;
    for (const [key, request] of Object.entries(requests) as [K, PortRequest][]) {
      let server: Server;
      try {
        server = await listen(request.port ?? 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && request.port)
          throw new PortInUseError(request.port, request.purpose);
        throw error;
      }
      held.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string')
        throw new Error('no TCP address for a loopback listener');
      ports[key] = address.port;
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}
