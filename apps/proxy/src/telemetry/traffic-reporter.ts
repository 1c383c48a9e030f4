import { structToJson, type EnvoyCluster, type ProtoStruct } from '@mesh/xds';

import { encodePeerMetadata, type PeerMetadata } from '../http/peer-metadata.js';
import type { AccessLogRecord, AccessLogWriter } from './access-log.js';
import type { IstioMetrics } from './istio-metrics.js';
import { peerTelemetryFromWorkload, unknownPeer } from './peer-telemetry.js';
import type {
  ConnectionTelemetry,
  DestinationServiceTelemetry,
  PeerTelemetry,
  RbacDenial,
  RequestTelemetry,
} from './telemetry-types.js';

/**
 * Turns what the data plane saw of a request or connection into Istio's metrics (from the side this
 * proxy reports as: `source` outbound, `destination` inbound) and an access-log line. Our own
 * workload comes from the node metadata; the peer's from the metadata exchange headers, its
 * principal from the verified certificate, and the service from the cluster's `istio` metadata.
 */

export interface CallFacts {
  direction: 'inbound' | 'outbound';
  /** The peer's exchanged metadata (request header inbound, response header outbound). */
  peer?: PeerMetadata;
  /** The peer's verified SPIFFE identity without `spiffe://`. */
  peerPrincipal?: string;
  /** Inbound: the downstream connection was mTLS. */
  mutualTls: boolean;
  cluster?: EnvoyCluster;
  clusterName?: string;
  /** Host the request was addressed to, for the service of passthrough calls. */
  authority?: string;
  responseFlags: string;
}

export interface RequestFacts extends CallFacts {
  grpc: boolean;
  grpcStatus?: number;
  log: AccessLogRecord;
}

/** Peer views by metadata object and principal: the metrics cache their labels per peer object. */
const peers = new WeakMap<object, Map<string, PeerTelemetry>>();
const UNKNOWN_PEER = unknownPeer();
const NO_METADATA = {};

function workloadOf(metadata: PeerMetadata | undefined, principal: string | undefined): PeerTelemetry {
  if (!metadata && !principal) return UNKNOWN_PEER;
  const byPrincipal = peers.get(metadata ?? NO_METADATA) ?? new Map<string, PeerTelemetry>();
  peers.set(metadata ?? NO_METADATA, byPrincipal);
  let peer = byPrincipal.get(principal ?? '');
  if (!peer) {
    peer = describePeer(metadata, principal);
    if (byPrincipal.size < 256) byPrincipal.set(principal ?? '', peer);
  }
  return peer;
}

function describePeer(metadata: PeerMetadata | undefined, principal: string | undefined): PeerTelemetry {
  return peerTelemetryFromWorkload({
    ...(metadata?.WORKLOAD_NAME ? { workloadName: metadata.WORKLOAD_NAME } : {}),
    ...(metadata?.NAMESPACE ? { namespace: metadata.NAMESPACE } : {}),
    ...(metadata?.LABELS ? { labels: metadata.LABELS } : {}),
    ...(metadata?.CLUSTER_ID ? { cluster: metadata.CLUSTER_ID } : {}),
    ...(principal ? { identity: `spiffe://${principal}` } : {}),
  });
}

/** The service a cluster stands for, from its `istio.services` metadata (Istio's stats read the same). */
function computeDestinationService(
  cluster: EnvoyCluster | undefined,
  name: string | undefined,
  authority?: string,
): DestinationServiceTelemetry {
  const istio = (cluster as { metadata?: { filter_metadata?: { istio?: ProtoStruct } } } | undefined)
    ?.metadata?.filter_metadata?.istio;
  const services = istio
    ? (structToJson(istio)['services'] as { host?: string; name?: string; namespace?: string }[] | undefined)
    : undefined;
  const service = services?.[0];
  if (service?.host)
    return { host: service.host, name: service.name ?? service.host, namespace: service.namespace ?? '' };
  const host = authority?.replace(/:\d+$/, '') ?? name ?? '';
  return {
    host: host || 'unknown',
    name:
      name === 'PassthroughCluster' || name === 'BlackHoleCluster' || name === 'InboundPassthroughCluster'
        ? name
        : host,
    namespace: '',
  };
}

/** Per cluster object (they change only with CDS), the service its `istio` metadata names. */
const servicesByCluster = new WeakMap<object, DestinationServiceTelemetry>();

export function destinationServiceOf(
  cluster: EnvoyCluster | undefined,
  name: string | undefined,
  authority?: string,
): DestinationServiceTelemetry {
  // Only the `istio` metadata is per cluster; without it the answer depends on the request's host.
  const hasMetadata = (cluster as { metadata?: { filter_metadata?: { istio?: object } } } | undefined)
    ?.metadata?.filter_metadata?.istio;
  if (!cluster || !hasMetadata) return computeDestinationService(cluster, name, authority);
  let service = servicesByCluster.get(cluster);
  if (!service) {
    service = computeDestinationService(cluster, name, authority);
    servicesByCluster.set(cluster, service);
  }
  return service;
}

export class TrafficReporter {
  readonly self: PeerTelemetry;
  /** Our `x-envoy-peer-metadata` value, encoded once. */
  readonly metadataHeader: string;

  constructor(
    readonly nodeId: string,
    /** Our node metadata and SPIFFE identity (without `spiffe://`). */
    own: PeerMetadata & { principal: string },
    readonly metrics: IstioMetrics,
    private readonly accessLog?: AccessLogWriter,
  ) {
    this.self = workloadOf(own, own.principal);
    const { principal: _principal, ...metadata } = own;
    this.metadataHeader = encodePeerMetadata(metadata);
  }

  #call(facts: CallFacts): ConnectionTelemetry {
    const peer = workloadOf(facts.peer, facts.peerPrincipal);
    const inbound = facts.direction === 'inbound';
    return {
      reporter: inbound ? 'destination' : 'source',
      source: inbound ? peer : this.self,
      destination: inbound ? this.self : peer,
      destinationService: destinationServiceOf(facts.cluster, facts.clusterName, facts.authority),
      responseFlags: facts.responseFlags,
      connectionSecurityPolicy: inbound ? (facts.mutualTls ? 'mutual_tls' : 'none') : 'unknown',
    };
  }

  request(facts: RequestFacts): void {
    const log = facts.log;
    const telemetry: RequestTelemetry = {
      ...this.#call(facts),
      requestProtocol: facts.grpc ? 'grpc' : 'http',
      responseCode: log.responseCode ?? 0,
      ...(facts.grpcStatus !== undefined ? { grpcStatus: facts.grpcStatus } : {}),
      durationMs: log.durationMs,
      requestBytes: log.bytesReceived,
      responseBytes: log.bytesSent,
    };
    this.metrics.recordRequest(telemetry);
    this.accessLog?.write(log);
  }

  /** A TCP connection: counted open now; the returned function records bytes and the close. */
  connection(
    facts: CallFacts,
  ): (result: { sent: number; received: number; flags?: string; log?: AccessLogRecord }) => void {
    const opened = this.#call(facts);
    this.metrics.tcpOpened(opened);
    return ({ sent, received, flags, log }) => {
      const closed = flags ? { ...opened, responseFlags: flags } : opened;
      this.metrics.tcpBytes(closed, sent, received);
      this.metrics.tcpClosed(closed);
      if (log) this.accessLog?.write(log);
    };
  }

  rbac(denial: RbacDenial): void {
    this.metrics.rbacDenied(denial);
  }

  writeAccessLog(log: AccessLogRecord): void {
    this.accessLog?.write(log);
  }
}
