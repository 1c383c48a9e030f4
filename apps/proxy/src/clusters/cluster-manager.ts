import {
  isTlsTransportSocket,
  loadAssignmentOf,
  transportSocketFor,
  type EnvoyCluster,
  type EnvoyLbEndpoint,
  type EnvoyTransportSocket,
  type ProxyConfig,
} from '@mesh/xds';

import { withAutoSni } from '../tls/auto-sni.js';
import { LoadBalancer, type LbPolicy } from './load-balancer.js';
import { OutlierDetector, outlierConfigOf } from './outlier-detector.js';

/**
 * Envoy's cluster manager over the current config: a cluster's endpoints (EDS, or inline for static
 * and DNS clusters, or the original destination), each with the transport socket Envoy would pick
 * (`transport_socket_matches`, which is how auto-mTLS sends mTLS only to sidecar endpoints), and the
 * load-balancing policy's choice among the healthy ones. Load-balancer state (round-robin position,
 * active requests) survives config updates, so an endpoint change drops nothing in flight.
 */

export interface UpstreamEndpoint {
  cluster: string;
  host: string;
  port: number;
  transport?: EnvoyTransportSocket;
  /** `host:port` as Envoy's access log prints `upstream_host`. */
  key: string;
}

export type PickResult = { endpoint: UpstreamEndpoint } | { error: 'NC' | 'UH'; message: string };

/** Rewrites where an endpoint really is (explicit mode: the application's own listen address). */
export type EndpointOverride = (
  cluster: string,
  host: string,
  port: number,
) => { host: string; port: number } | undefined;

interface ClusterState {
  cluster: EnvoyCluster;
  endpoints: UpstreamEndpoint[];
  balancer: LoadBalancer;
  outliers?: OutlierDetector;
  /** The default-priority `max_requests` circuit breaker. */
  maxRequests?: number;
  /** Requests in flight on the cluster (for the circuit breaker). */
  active: number;
}

function maxRequestsOf(cluster: EnvoyCluster): number | undefined {
  const thresholds = ((cluster as { circuit_breakers?: { thresholds?: Record<string, unknown>[] } })
    .circuit_breakers?.thresholds ?? []) as { priority?: string; max_requests?: { value?: number } }[];
  const value = thresholds.find((t) => (t.priority ?? 'DEFAULT') === 'DEFAULT')?.max_requests?.value;
  return value === undefined || value >= 4294967295 ? undefined : value;
}

const HEALTHY = new Set([undefined, 'UNKNOWN', 'HEALTHY']);

export class ClusterManager {
  #clusters = new Map<string, ClusterState>();
  /** Requests in flight per endpoint key, for LEAST_REQUEST and `/clusters`. */
  readonly active = new Map<string, number>();

  constructor(private readonly override?: EndpointOverride) {}

  update(config: ProxyConfig): void {
    const next = new Map<string, ClusterState>();
    for (const [name, cluster] of config.clusters) {
      const previous = this.#clusters.get(name);
      const policy = ((cluster as { lb_policy?: string }).lb_policy ?? 'ROUND_ROBIN') as LbPolicy;
      const outlierConfig = outlierConfigOf(cluster as unknown as Record<string, unknown>);
      const outliers = outlierConfig ? (previous?.outliers ?? new OutlierDetector(outlierConfig)) : undefined;
      if (outlierConfig) outliers?.reconfigure(outlierConfig);
      const maxRequests = maxRequestsOf(cluster);
      next.set(name, {
        cluster,
        endpoints: this.#endpointsOf(config, name, cluster),
        balancer:
          previous && previous.balancer.policy === policy
            ? previous.balancer
            : new LoadBalancer(policy, this.active),
        ...(outliers ? { outliers } : {}),
        ...(maxRequests !== undefined ? { maxRequests } : {}),
        active: previous?.active ?? 0,
      });
    }
    this.#clusters = next;
  }

  #endpointsOf(config: ProxyConfig, name: string, cluster: EnvoyCluster): UpstreamEndpoint[] {
    const assignment = loadAssignmentOf(cluster, config.loadAssignments);
    const endpoints: UpstreamEndpoint[] = [];
    for (const locality of assignment?.endpoints ?? [])
      for (const lb of locality.lb_endpoints ?? []) {
        if (!HEALTHY.has((lb as { health_status?: string }).health_status)) continue;
        const endpoint = this.#endpoint(name, cluster, lb);
        if (endpoint) endpoints.push(endpoint);
      }
    return endpoints;
  }

  #endpoint(name: string, cluster: EnvoyCluster, lb: EnvoyLbEndpoint): UpstreamEndpoint | undefined {
    const socket = lb.endpoint?.address?.socket_address;
    if (!socket?.address || socket.port_value === undefined) return undefined;
    const transport = withAutoSni(cluster, transportSocketFor(cluster, lb).socket, socket.address);
    return this.#make(name, socket.address, socket.port_value, transport);
  }

  #make(
    cluster: string,
    host: string,
    port: number,
    transport: EnvoyTransportSocket | undefined,
  ): UpstreamEndpoint {
    const real = this.override?.(cluster, host, port) ?? { host, port };
    return {
      cluster,
      host: real.host,
      port: real.port,
      key: `${real.host}:${real.port}`,
      ...(isTlsTransportSocket(transport) ? { transport } : {}),
    };
  }

  has(cluster: string): boolean {
    return this.#clusters.has(cluster);
  }

  cluster(name: string): EnvoyCluster | undefined {
    return this.#clusters.get(name)?.cluster;
  }

  /** The endpoint for the next request or connection; `original` is the dialled address (ORIGINAL_DST). */
  pick(
    clusterName: string,
    original?: { host: string; port: number },
    exclude?: ReadonlySet<string>,
    hashKey?: string,
  ): PickResult {
    const state = this.#clusters.get(clusterName);
    if (!state) return { error: 'NC', message: `cluster ${clusterName} not found` };
    if (state.cluster.type === 'ORIGINAL_DST') {
      if (!original) return { error: 'UH', message: `${clusterName}: no original destination` };
      return {
        endpoint: this.#make(
          clusterName,
          original.host,
          original.port,
          withAutoSni(state.cluster, state.cluster.transport_socket, original.host),
        ),
      };
    }
    // Ejected outliers are skipped unless every endpoint is out (Envoy's panic mode then uses all).
    const healthy = state.outliers
      ? state.endpoints.filter((e) => !state.outliers?.isEjected(e.key))
      : state.endpoints;
    const pool = healthy.length > 0 ? healthy : state.endpoints;
    const candidates = exclude ? pool.filter((e) => !exclude.has(e.key)) : pool;
    const endpoint = state.balancer.choose(candidates.length > 0 ? candidates : pool, hashKey);
    return endpoint ? { endpoint } : { error: 'UH', message: 'no healthy upstream' };
  }

  /** Whether the cluster's `max_requests` circuit breaker is open (Envoy answers 503 `UO`). */
  overflowed(clusterName: string): boolean {
    const state = this.#clusters.get(clusterName);
    return state?.maxRequests !== undefined && state.active >= state.maxRequests;
  }

  /** A request's result on an endpoint (HTTP status; 0 for a connection failure), for outlier detection. */
  report(endpoint: UpstreamEndpoint, status: number): void {
    const state = this.#clusters.get(endpoint.cluster);
    state?.outliers?.report(endpoint.key, status, state.endpoints.length);
  }

  isEjected(endpoint: UpstreamEndpoint): boolean {
    return this.#clusters.get(endpoint.cluster)?.outliers?.isEjected(endpoint.key) ?? false;
  }

  /** Counts a request in flight on an endpoint until the returned release is called. */
  track(endpoint: UpstreamEndpoint): () => void {
    this.active.set(endpoint.key, (this.active.get(endpoint.key) ?? 0) + 1);
    const state = this.#clusters.get(endpoint.cluster);
    if (state) state.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (state) state.active--;
      const left = (this.active.get(endpoint.key) ?? 1) - 1;
      if (left <= 0) this.active.delete(endpoint.key);
      else this.active.set(endpoint.key, left);
    };
  }

  /** Every cluster with its endpoints, for `/clusters` and `/config_dump`. */
  list(): { name: string; cluster: EnvoyCluster; endpoints: readonly UpstreamEndpoint[] }[] {
    return [...this.#clusters].map(([name, s]) => ({ name, cluster: s.cluster, endpoints: s.endpoints }));
  }

  /** Endpoint keys in use by any cluster (pools for other keys can be closed). */
  endpointKeys(): Set<string> {
    return new Set([...this.#clusters.values()].flatMap((s) => s.endpoints.map((e) => e.key)));
  }
}
