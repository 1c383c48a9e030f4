import {
  parseDuration,
  type ClientTLSSettings,
  type ConnectionPoolSettings,
  type DestinationRule,
  type LoadBalancerSettings,
  type OutlierDetection,
} from '@mesh/policy';

type Obj = Record<string, unknown>;

/** The parts of a DestinationRule traffic policy that shape one cluster, after Istio's merging. */
export interface ClusterPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

interface PolicyLike extends ClusterPolicy {
  portLevelSettings?: readonly (ClusterPolicy & { port?: { number?: number } })[];
}

/**
 * Istio's `MergeTrafficPolicy`: each part of the subset's policy replaces the service's, and a
 * port-level entry for this port replaces all four parts at once (port-level settings do not inherit:
 * what they leave out falls back to the defaults, as the DestinationRule docs say).
 */
function merge(base: ClusterPolicy, policy: PolicyLike | undefined, port: number): ClusterPolicy {
  if (!policy) return base;
  const merged: ClusterPolicy = {
    loadBalancer: policy.loadBalancer ?? base.loadBalancer,
    connectionPool: policy.connectionPool ?? base.connectionPool,
    outlierDetection: policy.outlierDetection ?? base.outlierDetection,
    tls: policy.tls ?? base.tls,
  };
  const portLevel = policy.portLevelSettings?.find((p) => p.port?.number === port);
  if (!portLevel) return merged;
  return {
    loadBalancer: portLevel.loadBalancer,
    connectionPool: portLevel.connectionPool,
    outlierDetection: portLevel.outlierDetection,
    tls: portLevel.tls,
  };
}

/** The policy for `outbound|<port>|<subset>|<host>`: top level, its port level, then the subset's. */
export function clusterPolicy(
  rule: DestinationRule | undefined,
  port: number,
  subset: string,
): ClusterPolicy {
  const service = merge({}, rule?.spec.trafficPolicy, port);
  if (!subset) return service;
  return merge(service, rule?.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy, port);
}

/** A Go duration string as a `google.protobuf.Duration`. */
export function protoDuration(text: string): { seconds: number; nanos?: number } {
  const nanos = parseDuration(text) ?? 0n;
  const seconds = Number(nanos / 1_000_000_000n);
  const rest = Number(nanos % 1_000_000_000n);
  return rest === 0 ? { seconds } : { seconds, nanos: rest };
}

/** Istio's default thresholds: effectively unlimited (Envoy's own defaults, e.g. 3 retries, are too low). */
const UNLIMITED = 4294967295;

/** `circuit_breakers` from the connection pool, on top of Istio's unlimited defaults. */
export function circuitBreakers(pool: ConnectionPoolSettings | undefined): Obj {
  const limit = (value: number | undefined): { value: number } => ({
    value: value !== undefined && value > 0 ? value : UNLIMITED,
  });
  return {
    thresholds: [
      {
        max_connections: limit(pool?.tcp?.maxConnections),
        max_pending_requests: limit(pool?.http?.http1MaxPendingRequests),
        max_requests: limit(pool?.http?.http2MaxRequests),
        max_retries: limit(pool?.http?.maxRetries),
        track_remaining: true,
      },
    ],
  };
}

/** TCP keepalive as Envoy's `upstream_connection_options` (Istio's `applyTCPKeepalive`). */
export function upstreamConnectionOptions(pool: ConnectionPoolSettings | undefined): Obj | undefined {
  const keepalive = pool?.tcp?.tcpKeepalive;
  if (!keepalive) return undefined;
  const seconds = (d: string | undefined) =>
    d === undefined ? undefined : { value: protoDuration(d).seconds };
  const probes = keepalive.probes;
  const time = seconds(keepalive.time);
  const interval = seconds(keepalive.interval);
  return {
    tcp_keepalive: {
      ...(probes ? { keepalive_probes: { value: probes } } : {}),
      ...(time ? { keepalive_time: time } : {}),
      ...(interval ? { keepalive_interval: interval } : {}),
    },
  };
}

/**
 * Istio's `applyOutlierDetection`: success-rate ejection off, each configured consecutive-error
 * detector enforced at 100 %, and the panic threshold set to minHealthPercent (0 unless given) since
 * Envoy's 50 % default rarely suits services with few pods.
 */
export function applyOutlierDetection(cluster: Obj, outlier: OutlierDetection | undefined): void {
  if (!outlier) return;
  const enforcing = (v: number) => ({ value: v > 0 ? 100 : 0 });
  const out: Obj = { enforcing_success_rate: { value: 0 } };
  const fiveXx = outlier.consecutive5xxErrors;
  if (fiveXx !== undefined && fiveXx !== null) {
    out['consecutive_5xx'] = { value: fiveXx };
    out['enforcing_consecutive_5xx'] = enforcing(fiveXx);
  }
  const gateway = outlier.consecutiveGatewayErrors;
  if (gateway !== undefined && gateway !== null) {
    out['consecutive_gateway_failure'] = { value: gateway };
    out['enforcing_consecutive_gateway_failure'] = enforcing(gateway);
  }
  if (outlier.interval) out['interval'] = protoDuration(outlier.interval);
  if (outlier.baseEjectionTime) out['base_ejection_time'] = protoDuration(outlier.baseEjectionTime);
  if (outlier.maxEjectionPercent && outlier.maxEjectionPercent > 0)
    out['max_ejection_percent'] = { value: outlier.maxEjectionPercent };
  if (outlier.splitExternalLocalOriginErrors) {
    out['split_external_local_origin_errors'] = true;
    const local = outlier.consecutiveLocalOriginFailures ?? 0;
    if (local > 0) {
      out['consecutive_local_origin_failure'] = { value: local };
      out['enforcing_consecutive_local_origin_failure'] = { value: 100 };
    }
    out['enforcing_local_origin_success_rate'] = { value: 0 };
  }
  cluster['outlier_detection'] = out;
  const minHealth = outlier.minHealthPercent ?? 0;
  if (minHealth >= 0) cluster['common_lb_config'] = { healthy_panic_threshold: { value: minHealth } };
}

/** What EDS and DNS discovery add to a cluster, dropped when PASSTHROUGH makes it original-destination. */
const DISCOVERY_FIELDS = [
  'eds_cluster_config',
  'load_assignment',
  'dns_lookup_family',
  'dns_refresh_rate',
  'respect_dns_ttl',
];

const SIMPLE_LB: Record<string, string> = {
  ROUND_ROBIN: 'ROUND_ROBIN',
  LEAST_REQUEST: 'LEAST_REQUEST',
  LEAST_CONN: 'LEAST_REQUEST',
  RANDOM: 'RANDOM',
};

/**
 * `lb_policy` (Istio's default is LEAST_REQUEST). A consistent hash picks RING_HASH, or MAGLEV when
 * `maglev` is set; the hash key itself is a route's `hash_policy` (RDS). PASSTHROUGH turns the cluster
 * into an original-destination one.
 */
export function applyLoadBalancer(cluster: Obj, lb: LoadBalancerSettings | undefined): void {
  const hash = lb?.consistentHash;
  if (hash) {
    if (hash.maglev) {
      cluster['lb_policy'] = 'MAGLEV';
      if (hash.maglev.tableSize)
        cluster['maglev_lb_config'] = { table_size: { value: hash.maglev.tableSize } };
    } else if (hash.ringHash) {
      cluster['lb_policy'] = 'RING_HASH';
      const ringSize = hash.ringHash.minimumRingSize;
      if (ringSize) cluster['ring_hash_lb_config'] = { minimum_ring_size: { value: ringSize } };
    } else {
      // Neither algorithm named: a ring, sized by the deprecated field or Envoy's default of 1024.
      cluster['lb_policy'] = 'RING_HASH';
      cluster['ring_hash_lb_config'] = { minimum_ring_size: { value: hash.minimumRingSize || 1024 } };
    }
    return;
  }
  if (lb?.simple === 'PASSTHROUGH') {
    cluster['type'] = 'ORIGINAL_DST';
    cluster['lb_policy'] = 'CLUSTER_PROVIDED';
    for (const field of DISCOVERY_FIELDS) delete cluster[field];
    return;
  }
  cluster['lb_policy'] = SIMPLE_LB[lb?.simple ?? 'LEAST_REQUEST'] ?? 'LEAST_REQUEST';
}
