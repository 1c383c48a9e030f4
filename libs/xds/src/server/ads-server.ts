import { randomBytes } from 'node:crypto';

import { Server, ServerCredentials, status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';

import { adsServiceDefinition } from '../protocol/ads-service.js';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from '../protocol/discovery-messages.js';
import type { AdsStream, StreamContext } from './ads-stream.js';
import { DeltaStream } from './delta-stream.js';
import type { ResourceSource, XdsConnection } from './resource-source.js';
import { silentLogger, type AdsServerHooks, type ConnectionStatus, type XdsLogger } from './server-hooks.js';
import { SotwStream } from './sotw-stream.js';

export interface AdsServerOptions {
  source: ResourceSource;
  hooks?: AdsServerHooks;
  logger?: XdsLogger;
  /** A client that leaves a response unread this long is disconnected. Default 30 s. */
  sendTimeoutMs?: number;
  /**
   * Called once per stream when the client names its node: a returned reason refuses the stream with
   * PERMISSION_DENIED (istiod refuses node metadata that disagrees with the client certificate).
   */
  authorize?: (connection: XdsConnection) => string | undefined;
}

/** "These names of this type changed"; no names means anything of the type may have changed. */
export interface PushChange {
  typeUrl: string;
  names?: Iterable<string>;
}

type AnyStream = AdsStream<unknown, unknown>;

/**
 * Envoy's AggregatedDiscoveryService, state-of-the-world and delta, over a {@link ResourceSource}.
 * `push` tells every stream what changed; each decides from its own subscriptions what to send.
 */
export class AdsServer {
  private readonly streams = new Set<AnyStream>();
  private readonly ctx: StreamContext;
  private readonly instance = randomBytes(3).toString('hex');
  private connectionCounter = 0;

  constructor(options: AdsServerOptions) {
    this.ctx = {
      source: options.source,
      hooks: options.hooks ?? {},
      logger: options.logger ?? silentLogger,
      sendTimeoutMs: options.sendTimeoutMs ?? 30_000,
      ...(options.authorize ? { authorize: options.authorize } : {}),
    };
  }

  /** Registers the ADS service on a gRPC server (istiod serves it next to the CA on 15010/15012). */
  addTo(server: Server): void {
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
        this.accept(
          call,
          'sotw',
          (conn) => new SotwStream(call, conn, this.ctx, (s) => this.streams.delete(s as AnyStream)),
        ),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        this.accept(
          call,
          'delta',
          (conn) => new DeltaStream(call, conn, this.ctx, (s) => this.streams.delete(s as AnyStream)),
        ),
    });
  }

  private accept<Req, Res>(
    call: ServerDuplexStream<Req, Res>,
    mode: 'sotw' | 'delta',
    create: (connection: XdsConnection) => AdsStream<Req, Res>,
  ): void {
    const connection: XdsConnection = {
      id: `${this.instance}-${++this.connectionCounter}`,
      mode,
      peer: call.getPeer(),
      connectedAt: new Date(),
      peerIdentity: peerSpiffeId(call),
      node: { id: '', cluster: '', metadata: {} },
    };
    this.streams.add(create(connection) as unknown as AnyStream);
  }

  /**
   * Announces changes. Streams subscribed to an affected type queue a push (coalesced with any push
   * already waiting) and send only what their client needs. `filter` limits the push to some clients.
   */
  push(changes: PushChange | readonly PushChange[], filter?: (connection: XdsConnection) => boolean): void {
    const list = (Array.isArray(changes) ? changes : [changes]) as readonly PushChange[];
    const normalized = list.map((c) => ({
      typeUrl: c.typeUrl,
      names: c.names === undefined ? undefined : new Set(c.names),
    }));
    for (const stream of this.streams) {
      if (filter && !filter(stream.connection)) continue;
      for (const change of normalized) stream.push(change.typeUrl, change.names);
    }
  }

  /** Per-connection subscription and ACK/NACK state (for /debug/syncz). */
  status(): ConnectionStatus[] {
    return [...this.streams].map((s) => s.status());
  }

  get connectionCount(): number {
    return this.streams.size;
  }

  /** Ends every stream with UNAVAILABLE, so clients reconnect elsewhere or later. */
  closeAll(reason = 'server shutting down'): void {
    for (const stream of [...this.streams]) stream.close(reason, GrpcStatus.UNAVAILABLE);
  }
}

export interface RunningAdsServer {
  ads: AdsServer;
  grpc: Server;
  port: number;
  close(): Promise<void>;
}

/** Starts a gRPC server carrying only ADS on `host:port` (port 0 picks a free one). Plaintext unless credentials are given. */
export async function startAdsServer(
  options: AdsServerOptions & { host?: string; port?: number; credentials?: ServerCredentials },
): Promise<RunningAdsServer> {
  const grpc = new Server({
    // Requests are small; a client must not make the server buffer more (Istio's 4 MiB).
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
  });
  const ads = new AdsServer(options);
  ads.addTo(grpc);
  const port = await new Promise<number>((resolve, reject) => {
    grpc.bindAsync(
      `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`,
      options.credentials ?? ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)),
    );
  });
  return {
    ads,
    grpc,
    port,
    // Streams are ended with UNAVAILABLE first, so clients know to reconnect; then the transport goes.
    close: async () => {
      ads.closeAll();
      grpc.forceShutdown();
    },
  };
}

/**
 * The SPIFFE URI SAN of a verified client certificate. grpc-js shows the peer certificate only when the
 * TLS layer authorized it against the configured roots.
 */
function peerSpiffeId(call: {
  getAuthContext?: () => { sslPeerCertificate?: { subjectaltname?: string } };
}): string | undefined {
  const sans = call.getAuthContext?.().sslPeerCertificate?.subjectaltname ?? '';
  const uri = sans
    .split(', ')
    .find((san) => san.startsWith('URI:spiffe://'))
    ?.slice('URI:'.length);
  return uri;
}
