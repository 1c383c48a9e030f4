import type { Cluster } from '../generated/envoy/config/cluster/v3/Cluster.js';
import { TypeUrl } from '../type-urls.js';
import {
  checkConfigSource,
  checkDuration,
  checkTypedConfig,
  type CanonicalAny,
  type CanonicalDuration,
} from './common-checks.js';
import { checkLoadAssignment } from './cluster-load-assignment.js';
import { defineResourceType } from './resource-type.js';
import { checkTlsContext } from './tls-context.js';
import { IssueCollector, type ValidationIssue } from './validation.js';

export type { Cluster };

type Obj = Record<string, unknown>;

/** Discovery types that take their endpoints from an inline load_assignment. */
const INLINE_ENDPOINT_TYPES = new Set(['STATIC', 'STRICT_DNS', 'LOGICAL_DNS']);

function checkTransportSocket(at: IssueCollector, socket: Obj): void {
  const config = socket['typed_config'] as CanonicalAny;
  if (checkTypedConfig(at, config)) checkTlsContext(at, config);
}

export const ClusterType = defineResourceType<Cluster>({
  typeUrl: TypeUrl.Cluster,
  sotwFullState: true,
  nameOf: (cluster) => cluster.name ?? '',
  validate(cluster): ValidationIssue[] {
    const at = new IssueCollector();
    at.field('name').requireString(cluster.name, 'cluster name is required');
    const type = (cluster.type as string | undefined) ?? (cluster.cluster_type ? undefined : 'STATIC');
    if (type === 'EDS') {
      const eds = cluster.eds_cluster_config as Obj | null | undefined;
      if (
        at.field('eds_cluster_config').check(eds != null, 'eds_cluster_config is required for an EDS cluster')
      ) {
        checkConfigSource(
          at.field('eds_cluster_config.eds_config'),
          (eds as Obj)['eds_config'] as Obj | undefined,
        );
      }
    } else if (type !== undefined && INLINE_ENDPOINT_TYPES.has(type) && cluster.load_assignment) {
      checkLoadAssignment(at.field('load_assignment'), cluster.load_assignment as Obj, {
        requireName: false,
      });
    }
    checkDuration(at.field('connect_timeout'), cluster.connect_timeout as CanonicalDuration | undefined, {
      positive: true,
    });
    const thresholds =
      ((cluster.circuit_breakers as Obj | null | undefined)?.['thresholds'] as Obj[] | undefined) ?? [];
    const priorities = new Set<string>();
    thresholds.forEach((t, i) => {
      const priority = String(t['priority'] ?? 'DEFAULT');
      at.field('circuit_breakers.thresholds')
        .index(i)
        .check(!priorities.has(priority), `duplicate thresholds for priority ${priority}`);
      priorities.add(priority);
    });
    const outlier = cluster.outlier_detection as Obj | null | undefined;
    if (outlier) {
      checkDuration(
        at.field('outlier_detection.interval'),
        outlier['interval'] as CanonicalDuration | undefined,
        { positive: true },
      );
      checkDuration(
        at.field('outlier_detection.base_ejection_time'),
        outlier['base_ejection_time'] as CanonicalDuration | undefined,
      );
      const maxEjection = (outlier['max_ejection_percent'] as { value?: number } | undefined)?.value;
      if (maxEjection !== undefined)
        at.field('outlier_detection.max_ejection_percent').check(maxEjection <= 100, 'must be at most 100');
    }
    const socket = cluster.transport_socket as Obj | null | undefined;
    if (socket) checkTransportSocket(at.field('transport_socket.typed_config'), socket);
    ((cluster.transport_socket_matches ?? []) as Obj[]).forEach((m, i) => {
      const ma = at.field('transport_socket_matches').named(m['name'] as string, i);
      ma.field('name').requireString(m['name'] as string | undefined, 'match name is required');
      const matchSocket = m['transport_socket'] as Obj | undefined;
      if (ma.field('transport_socket').check(matchSocket !== undefined, 'transport_socket is required'))
        checkTransportSocket(ma.field('transport_socket.typed_config'), matchSocket as Obj);
    });
    return at.issues;
  },
});
