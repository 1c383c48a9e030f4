import { readIfExists, type ClusterConnection } from './cluster-connection.js';

/**
 * When what install applied is ready, as istioctl waits for it: a Deployment when the controller has
 * seen its current generation and all its replicas are updated and available; a CRD when Established;
 * anything else (webhook configurations, ConfigMaps, RBAC) when present. A Deployment that cannot get
 * its pods says why (the controller's ReplicaFailure or Progressing message, e.g. a webhook refusing).
 */

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

export interface ReadyState {
  ready: boolean;
  /** What is missing, for the progress display and a timeout. */
  detail: string;
}

interface Condition {
  type?: string;
  status?: string;
  message?: string;
}
export interface Observed {
  metadata?: { generation?: number; labels?: Record<string, string> };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

const API_VERSIONS: Record<string, string> = {
  Deployment: 'apps/v1',
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
};

/** Pure: the readiness of an object as read (undefined: absent). */
export function readinessOf(kind: string, object: Observed | undefined): ReadyState {
  if (object === undefined) return { ready: false, detail: 'not found' };
  const conditions = object.status?.conditions ?? [];
  if (kind === 'CustomResourceDefinition') {
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    return { ready: established, detail: established ? 'established' : 'not established yet' };
  }
  if (kind !== 'Deployment') return { ready: true, detail: 'present' };
  const wanted = object.spec?.replicas ?? 1;
  const status = object.status ?? {};
  const observed = (status.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0);
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (observed && updated >= wanted && available >= wanted)
    return { ready: true, detail: `${available}/${wanted} available` };
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const progressing = conditions.find((c) => c.type === 'Progressing' && c.status === 'False');
  const why = failure?.message ?? progressing?.message;
  return { ready: false, detail: `${available}/${wanted} available${why ? `: ${why}` : ''}` };
}

export async function readinessInCluster(cluster: ClusterConnection, ref: ObjectRef): Promise<ReadyState> {
  const object = await readIfExists<Observed>(cluster, {
    apiVersion: API_VERSIONS[ref.kind] ?? 'v1',
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  });
  return readinessOf(ref.kind, object);
}

export const describeRef = (ref: ObjectRef) =>
  `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

const POLL_MS = 500;

export class ReadinessTimeoutError extends Error {
  override readonly name = 'ReadinessTimeoutError';
}

/**
 * Polls the objects that have a readiness (Deployments, CRDs; the rest were just applied) until all
 * are ready or `deadline` (ms since epoch) passes; `onWaiting` hears what is still awaited whenever
 * that changes.
 */
export async function waitForReady(
  cluster: ClusterConnection,
  refs: ObjectRef[],
  deadline: number,
  onWaiting: (waiting: string[]) => void,
): Promise<void> {
  const watched = refs.filter((r) => r.kind === 'Deployment' || r.kind === 'CustomResourceDefinition');
  let last = '';
  for (;;) {
    const waiting: string[] = [];
    for (const ref of watched) {
      const state = await readinessInCluster(cluster, ref);
      if (!state.ready) waiting.push(`${describeRef(ref)} (${state.detail})`);
    }
    if (waiting.length === 0) return;
    if (waiting.join('\n') !== last) onWaiting(waiting);
    last = waiting.join('\n');
    if (Date.now() > deadline)
      throw new ReadinessTimeoutError(`timed out waiting for: ${waiting.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
