import { TypeUrl } from '@mesh/xds';

import type { ProfileShare } from '../common/cpu-profile.js';

/**
 * What the benchmark process (ADS server) and the client-fleet child process agree on: how the
 * benchmark's clusters and endpoints look, so the fleet can check what it holds, and the IPC messages.
 */

/** Istio-style outbound cluster names, so names and message sizes resemble a real mesh. */
export function clusterName(i: number): string {
  return `outbound|8080||svc-${String(i).padStart(4, '0')}.bench.svc.cluster.local`;
}

/** Base of the field bumped on every change, so any client can tell which generation it holds. */
const BUFFER_LIMIT_BASE = 32_768;
const ENDPOINT_PORT_BASE = 10_000;

/** An EDS cluster whose `per_connection_buffer_limit_bytes` encodes its generation. */
export function benchCluster(name: string, generation: number): object {
  return {
    name,
    type: 'EDS',
    connect_timeout: { seconds: '1' },
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
    lb_policy: 'ROUND_ROBIN',
    per_connection_buffer_limit_bytes: { value: BUFFER_LIMIT_BASE + generation },
  };
}

/** Two endpoints whose ports encode the generation (a full push moves every endpoint). */
export function benchLoadAssignment(name: string, index: number, generation: number): object {
  const address = `10.${(index >> 8) & 255}.${index & 255}`;
  return {
    cluster_name: name,
    endpoints: [
      {
        locality: { region: 'bench', zone: 'bench-a' },
        lb_endpoints: [1, 2].map((host) => ({
          endpoint: {
            address: {
              socket_address: { address: `${address}.${host}`, port_value: ENDPOINT_PORT_BASE + generation },
            },
          },
          load_balancing_weight: { value: 1 },
        })),
      },
    ],
  };
}

/** The name MemoryResourceSource keys a resource by. */
export function resourceName(typeUrl: string, resource: object): string {
  const r = resource as { name?: string; cluster_name?: string };
  return (typeUrl === TypeUrl.ClusterLoadAssignment ? r.cluster_name : r.name) ?? '';
}

/** The generation a client holds for a cluster / load assignment (decoded canonical form), or -1. */
export function clusterGeneration(cluster: object | undefined): number {
  const limit = (cluster as { per_connection_buffer_limit_bytes?: { value?: number } } | undefined)
    ?.per_connection_buffer_limit_bytes?.value;
  return limit === undefined ? -1 : limit - BUFFER_LIMIT_BASE;
}

export function loadAssignmentGeneration(cla: object | undefined): number {
  type Cla = {
    endpoints?: {
      lb_endpoints?: { endpoint?: { address?: { socket_address?: { port_value?: number } } } }[];
    }[];
  };
  const port = (cla as Cla | undefined)?.endpoints?.[0]?.lb_endpoints?.[0]?.endpoint?.address?.socket_address
    ?.port_value;
  return port === undefined ? -1 : port - ENDPOINT_PORT_BASE;
}

export type XdsProtocol = 'delta' | 'sotw';

/** `ads`: our AdsClient (decodes and validates). `ack-only`: ACKs without decoding (server-bound). */
export type FleetClientKind = 'ads' | 'ack-only';

/** Parent → fleet. */
export type FleetCommand =
  | {
      kind: 'connect';
      target: string;
      clients: number;
      protocol: XdsProtocol;
      client: FleetClientKind;
      clusterNames: string[];
    }
  /** Check that every client holds these generations (index-aligned with clusterNames). */
  | { kind: 'verify'; clusterGenerations: number[]; loadAssignmentGenerations: number[] }
  | { kind: 'stats' }
  /** CPU-profile a measured window; the fleet writes the profile to `path` and answers with a summary. */
  | { kind: 'profile-start' }
  | { kind: 'profile-stop'; path: string }
  | { kind: 'shutdown' };

/** Fleet → parent. */
export type FleetEvent =
  | { kind: 'ready' }
  /** Every client holds every cluster and load assignment. */
  | { kind: 'synced'; elapsedMs: number }
  /** `checked` is false when the clients keep no resources to check (ack-only). */
  | { kind: 'verified'; checked: boolean; mismatches: number; example?: string }
  | { kind: 'stats'; rssBytes: number; cpuUserMs: number; cpuSystemMs: number }
  | { kind: 'profile-started' }
  | { kind: 'profile-stopped'; totalMs: number; shares: ProfileShare[] }
  /** Something that invalidates the run: a NACK or a lost stream. */
  | { kind: 'problem'; message: string };
