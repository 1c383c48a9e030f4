import {
  makeGenericClientConstructor,
  Metadata,
  Server,
  ServerCredentials,
  type Client,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';

/** A one-method gRPC echo service defined in code (JSON payloads): each backend answers with its name. */
const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): never => JSON.parse(bytes.toString('utf8')) as never,
};

export const echoService = {
  Echo: {
    path: '/mesh.e2e.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
  /** Bidirectional streaming: every message is answered at once, tagged with the backend. */
  Chat: {
    path: '/mesh.e2e.Echo/Chat',
    requestStream: true,
    responseStream: true,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies ServiceDefinition;

export type EchoClient = Client & {
  Echo(
    request: object,
    metadata: Metadata,
    callback: (err: ServiceError | null, reply?: { backend: string }) => void,
  ): void;
};

export const EchoClient = makeGenericClientConstructor(echoService, 'mesh.e2e.Echo');

export async function startEchoBackend(backend: string): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(echoService, {
    Echo: (_call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) =>
      callback(null, { backend }),
    Chat: (call: ServerDuplexStream<{ n: number }, object>) => {
      call.on('data', (message: { n: number }) => call.write({ backend, n: message.n }));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { server, port };
}

/** `count` calls in parallel; returns how many each backend answered. */
export async function callMany(
  client: EchoClient,
  count: number,
  headers: Record<string, string> = {},
): Promise<Record<string, number>> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const replies = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<string>((resolve, reject) =>
          client.Echo({}, metadata, (err, reply) =>
            err || !reply ? reject(err ?? new Error('no reply')) : resolve(reply.backend),
          ),
        ),
    ),
  );
  const counts: Record<string, number> = {};
  for (const backend of replies) counts[backend] = (counts[backend] ?? 0) + 1;
  return counts;
}
