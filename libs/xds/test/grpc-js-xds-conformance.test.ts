/**
 * Conformance against a real xDS client we did not write: `@grpc/grpc-js-xds` (proxyless gRPC) resolves
 * `xds:///echo.test:50051` through our ADS server (LDS → RDS → CDS → EDS), splits traffic by the route's
 * weighted clusters, and follows a route change on the same ADS stream, ACKing it.
 */
import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type Client,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  MemoryResourceSource,
  prepareResource,
  startAdsServer,
  TypeUrl,
  versionOfSet,
  type RunningAdsServer,
  type XdsConnection,
} from '../src/index.js';
import { apiListener, edsCluster, eventually, loadAssignment, nameOf, routeConfig } from './fixtures.js';

const TARGET_LISTENER = 'echo.test:50051';
const ROUTE_NAME = 'echo-route';
const NODE_ID = 'grpc-js-xds-conformance';

interface EchoRequest {
  seq: number;
}
interface EchoReply {
  backend: string;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): never => JSON.parse(bytes.toString('utf8')) as never,
};

/** A one-method echo service defined in code (JSON over gRPC framing): no .proto needed. */
const echoService = {
  Echo: {
    path: '/mesh.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies ServiceDefinition;

type EchoClient = Client & {
  Echo(request: EchoRequest, callback: (err: ServiceError | null, reply?: EchoReply) => void): void;
};
const EchoClientConstructor = makeGenericClientConstructor(echoService, 'mesh.test.Echo');

async function startEchoServer(backend: string): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(echoService, {
    Echo: (_call: ServerUnaryCall<EchoRequest, EchoReply>, callback: sendUnaryData<EchoReply>) =>
      callback(null, { backend }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { server, port };
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('@grpc/grpc-js-xds against our ADS server', () => {
  const source = new MemoryResourceSource(nameOf);
  const echoServers: Server[] = [];
  const ports: Record<'v1' | 'v2', number> = { v1: 0, v2: 0 };
  const connects: XdsConnection[] = [];
  const disconnects: string[] = [];
  const acks: { typeUrl: string; version: string; connection: string }[] = [];
  const nacks: { typeUrl: string; message: string }[] = [];
  const pushes: { typeUrl: string; version: string }[] = [];
  let running: RunningAdsServer | undefined;
  let client: EchoClient | undefined;
  let savedEnv: Record<string, string | undefined> = {};

  const fromClient = (connection: XdsConnection): boolean => connection.node.id === NODE_ID;
  const ads = () => {
    if (!running) throw new Error('ADS server not started');
    return running.ads;
  };

  function call(seq: number): Promise<string> {
    return new Promise((resolve, reject) => {
      if (!client) throw new Error('client not created');
      client.Echo({ seq }, (err, reply) =>
        err || !reply ? reject(err ?? new Error('empty reply')) : resolve(reply.backend),
      );
    });
  }

  async function callMany(count: number): Promise<Record<string, number>> {
    const replies = await Promise.all(Array.from({ length: count }, (_, i) => call(i)));
    const counts: Record<string, number> = {};
    for (const backend of replies) counts[backend] = (counts[backend] ?? 0) + 1;
    return counts;
  }

  beforeAll(async () => {
    for (const backend of ['v1', 'v2'] as const) {
      const { server, port } = await startEchoServer(backend);
      echoServers.push(server);
      ports[backend] = port;
    }

    source.set(TypeUrl.Listener, [apiListener(TARGET_LISTENER, ROUTE_NAME)]);
    source.set(TypeUrl.RouteConfiguration, [routeConfig(ROUTE_NAME, { v1: 80, v2: 20 })]);
    source.set(TypeUrl.Cluster, [edsCluster('v1'), edsCluster('v2')]);
    source.set(TypeUrl.ClusterLoadAssignment, [
      loadAssignment('v1', [ports.v1]),
      loadAssignment('v2', [ports.v2]),
    ]);

    running = await startAdsServer({
      source,
      hooks: {
        onConnect: (connection) => connects.push(connection),
        onDisconnect: (connection, reason) => {
          if (fromClient(connection)) disconnects.push(reason);
        },
        onAck: (connection, ack) =>
          acks.push({ typeUrl: ack.typeUrl, version: ack.version, connection: connection.id }),
        onNack: (connection, nack) => {
          if (fromClient(connection)) nacks.push({ typeUrl: nack.typeUrl, message: nack.message });
        },
        onPush: (connection, push) => {
          if (fromClient(connection)) pushes.push({ typeUrl: push.typeUrl, version: push.version });
        },
      },
    });

    // grpc-js-xds reads (and caches) its bootstrap the first time an xds: channel is created; the file
    // variable takes precedence over the inline one, so make sure only ours is visible.
    savedEnv = {
      GRPC_XDS_BOOTSTRAP: process.env.GRPC_XDS_BOOTSTRAP,
      GRPC_XDS_BOOTSTRAP_CONFIG: process.env.GRPC_XDS_BOOTSTRAP_CONFIG,
    };
    delete process.env.GRPC_XDS_BOOTSTRAP;
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [
        {
          server_uri: `127.0.0.1:${running.port}`,
          channel_creds: [{ type: 'insecure' }],
          server_features: ['xds_v3'],
        },
      ],
      node: { id: NODE_ID, locality: {} },
    });
    const { register } = await import('@grpc/grpc-js-xds');
    register();

    client = new EchoClientConstructor(
      `xds:///${TARGET_LISTENER}`,
      credentials.createInsecure(),
    ) as unknown as EchoClient;
  });

  afterAll(async () => {
    // Closing the channel destroys the xds resolver, which cancels its watches; with no watches left
    // grpc-js-xds half-closes its ADS stream (and the server finishes it with OK). Its channel to the
    // ADS server lives on, idle, in the XdsClient singleton: its connection is unref'd, so it does not
    // keep this process alive, but it holds up a graceful server shutdown for seconds. Once the stream
    // has ended the ADS server is therefore shut down forcibly.
    client?.close();
    if (running) {
      const server = running;
      await eventually(() => server.ads.connectionCount === 0, 5000, 'ADS stream to end').catch(
        () => undefined,
      );
      running.grpc.forceShutdown();
      await running.close();
    }
    await Promise.all(echoServers.map(shutdown));
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('splits 80/20 by weighted_clusters, then follows a route change on the same stream', async () => {
    // First call waits for LDS → RDS → CDS → EDS to resolve (the channel queues it meanwhile).
    await expect(call(-1)).resolves.toMatch(/^v[12]$/);
    expect(nacks).toEqual([]);

    const subscribed = new Map(
      ads()
        .status()[0]
        ?.types.map((t) => [t.typeUrl, t.names]) ?? [],
    );
    expect(subscribed.get(TypeUrl.Listener)).toEqual([TARGET_LISTENER]);
    expect(subscribed.get(TypeUrl.RouteConfiguration)).toEqual([ROUTE_NAME]);
    expect(subscribed.get(TypeUrl.Cluster)?.toSorted()).toEqual(['v1', 'v2']);
    expect(subscribed.get(TypeUrl.ClusterLoadAssignment)?.toSorted()).toEqual(['v1', 'v2']);

    const split = await callMany(500);
    console.info(`grpc-js-xds 80/20 split over 500 calls: ${JSON.stringify(split)}`);
    expect((split.v1 ?? 0) + (split.v2 ?? 0)).toBe(500);
    expect((split.v1 ?? 0) / 500).toBeGreaterThanOrEqual(0.74);
    expect((split.v1 ?? 0) / 500).toBeLessThanOrEqual(0.86);
    expect((split.v2 ?? 0) / 500).toBeGreaterThanOrEqual(0.14);
    expect((split.v2 ?? 0) / 500).toBeLessThanOrEqual(0.26);

    // Route change: everything to v1.
    const allToV1 = routeConfig(ROUTE_NAME, { v1: 100, v2: 0 });
    const newRouteVersion = versionOfSet([prepareResource(TypeUrl.RouteConfiguration, ROUTE_NAME, allToV1)]);
    const changed = source.set(TypeUrl.RouteConfiguration, [allToV1]);
    expect(changed).toEqual([ROUTE_NAME]);
    ads().push({ typeUrl: TypeUrl.RouteConfiguration, names: changed });

    const deadline = Date.now() + 10_000;
    let streak = 0;
    while (streak < 50) {
      if (Date.now() > deadline) throw new Error('client did not move to v1 within 10 s');
      streak = (await call(streak)) === 'v1' ? streak + 1 : 0;
    }

    const after = await callMany(100);
    console.info(`grpc-js-xds 100/0 split over 100 calls: ${JSON.stringify(after)}`);
    expect(after).toEqual({ v1: 100 });

    // The client followed the change on its one and only ADS stream and ACKed the new route version.
    const ours = connects.filter(fromClient);
    expect(ours).toHaveLength(1);
    expect(connects).toHaveLength(1);
    expect(disconnects).toEqual([]);
    expect(ads().connectionCount).toBe(1);
    expect(pushes).toContainEqual({ typeUrl: TypeUrl.RouteConfiguration, version: newRouteVersion });
    await eventually(
      () =>
        acks.some(
          (a) =>
            a.typeUrl === TypeUrl.RouteConfiguration &&
            a.version === newRouteVersion &&
            a.connection === ours[0]?.id,
        ),
      5000,
      'RDS ACK of the new version',
    );
    expect(
      ads()
        .status()[0]
        ?.types.find((t) => t.typeUrl === TypeUrl.RouteConfiguration),
    ).toMatchObject({ ackedVersion: newRouteVersion, sentVersion: newRouteVersion });
    expect(nacks).toEqual([]);
  });
});
