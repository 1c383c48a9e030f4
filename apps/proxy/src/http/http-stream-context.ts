import type { ClusterManager } from '../clusters/cluster-manager.js';
import type { DownstreamLimits } from '../listeners/downstream-limits.js';
import type { DownstreamStats } from '../telemetry/downstream-stats.js';
import type { ClientCertificate } from './forwarded-client-cert.js';
import type { TrafficReporter } from '../telemetry/traffic-reporter.js';
import type { ConfigSnapshot } from '../xds/proxy-config-state.js';
import type { UpstreamPools } from './upstream-pools.js';

type Obj = Record<string, unknown>;

/**
 * What the HTTP connection manager knows of the downstream connection a request arrived on: the
 * listener and filter chain that accepted it, its HCM config, and its TLS facts (the verified peer
 * identity is what RBAC and telemetry use).
 */
export interface DownstreamConnection {
  direction: 'inbound' | 'outbound';
  listener: string;
  chain: string;
  hcm: Obj;
  tls: boolean;
  /** The verified client identity without `spiffe://` (inbound mTLS). */
  peerPrincipal?: string;
  /** The verified client certificate (inbound mTLS), for `x-forwarded-client-cert`. */
  clientCertificate?: ClientCertificate;
  sni?: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The address the application dialled (transparent capture or the explicit proxy's target). */
  originalDestination?: { host: string; port: number };
}

/** The proxy's shared parts a request handler uses. */
export interface HttpDependencies {
  snapshot(): ConfigSnapshot;
  clusters: ClusterManager;
  pools: UpstreamPools;
  reporter: TrafficReporter;
  /** What a downstream peer may hold (timeouts, connections per listener) and the counters of their enforcement. */
  downstream: { limits: DownstreamLimits; stats: DownstreamStats };
}
