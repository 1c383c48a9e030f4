import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type Client,
  type ClientOptions,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { ManagedProcess } from '@mesh/launcher';

import { withTimeout } from '../common/bench-report.js';

/**
 * The origin every mode reaches: an HTTP/1.1 server and a gRPC server (one unary method, raw bytes,
 * no protobuf) that both echo the request body, run in their own process so the load generator and
 * the origin do not share an event loop. Run as a script, it serves and reports its ports over IPC.
 */

const bytes = {
  serialize: (value: Buffer): Buffer => value,
  deserialize: (value: Buffer): Buffer => value,
};

export const echoService = {
  Echo: {
    path: '/mesh.bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
} satisfies ServiceDefinition;

export type EchoClient = Client & {
  Echo(request: Buffer, callback: (err: ServiceError | null, reply?: Buffer) => void): void;
};

const EchoClientConstructor = makeGenericClientConstructor(echoService, 'mesh.bench.Echo');

/** A client on its own channel; `grpc.use_local_subchannel_pool` keeps it on its own connection. */
export function echoClient(target: string, options: ClientOptions = {}): EchoClient {
  return new EchoClientConstructor(target, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    ...options,
  }) as unknown as EchoClient;
}

export interface OriginPorts {
  httpPort: number;
  grpcPort: number;
}

async function serve(host: string): Promise<OriginPorts> {
  const http = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, host, resolve));
  const grpc = new Server();
  grpc.addService(echoService, {
    Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) =>
      callback(null, call.request),
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  return { httpPort: (http.address() as { port: number }).port, grpcPort };
}

/** Starts the origin process (killed with the benchmark) and waits for its ports. */
export async function startOrigin(
  host: string,
  timeoutMs: number,
): Promise<OriginPorts & { process: ManagedProcess }> {
  const origin = new ManagedProcess(
    {
      name: 'origin',
      argv: ['node', fileURLToPath(import.meta.url), host],
      logs: { memory: true, maxLines: 200 },
    },
    ['ipc'],
  );
  const ports = await withTimeout(
    new Promise<OriginPorts>((resolve, reject) => {
      origin.child.once('message', (ports: OriginPorts) => resolve(ports));
      void origin.exited.then(({ code }) =>
        reject(new Error(`origin exited with ${code}:\n${origin.logs.lines.join('\n')}`)),
      );
    }),
    timeoutMs,
    'origin start',
  );
  return { ...ports, process: origin };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ports = await serve(process.argv[2] ?? '127.0.0.1');
  process.send?.(ports);
  // The parent going away (killed, crashed) closes the IPC channel: the origin goes with it.
  process.on('disconnect', () => process.exit(0));
}
