import type { IstioKindName } from '../api-kinds.js';
import type { ResolvedMeshConfig } from '../api/mesh/mesh-config.js';
import type { IstioSpecs } from '../api/resources.js';
import type { AnalysisResource } from './analysis-input.js';

/**
 * The resources under analysis, indexed by kind, with the workloads they describe. Analyzers are
 * pure functions of a context; they never see files.
 */

/** A pod, or the pod template of a workload controller (what its pods will be). */
export interface AnalysisWorkload {
  kind: string;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  containers: readonly { name: string; image?: string }[];
}

/** Controllers whose `spec.template` is the pod they run (`CronJob` one level deeper). */
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export class AnalysisContext {
  private readonly byKind = new Map<string, AnalysisResource[]>();
  private cachedWorkloads: AnalysisWorkload[] | undefined;
  /**
   * Whether the files describe any workload. When they describe none, which pods a selector would
   * select is unknown, and analyzers that look for selected pods say nothing rather than flag every
   * selector (istioctl would flag them all).
   */
  readonly workloadsKnown: boolean;

  constructor(
    readonly resources: readonly AnalysisResource[],
    /** The mesh config the analysis runs with (`rootNamespace`, `defaultProviders`, ...). */
    readonly meshConfig: Readonly<ResolvedMeshConfig>,
  ) {
    for (const resource of resources) {
      const list = this.byKind.get(resource.kind) ?? [];
      list.push(resource);
      this.byKind.set(resource.kind, list);
    }
    this.workloadsKnown = resources.some((r) => r.source !== undefined && podTemplateOf(r) !== undefined);
  }

  ofKind(kind: string): readonly AnalysisResource[] {
    return this.byKind.get(kind) ?? [];
  }

  find(kind: string, namespace: string, name: string): AnalysisResource | undefined {
    return this.ofKind(kind).find((r) => r.namespace === namespace && r.name === name);
  }

  /** Pods, and the pods that Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs will run. */
  workloads(): readonly AnalysisWorkload[] {
    this.cachedWorkloads ??= this.resources.flatMap((resource) => {
      const template = podTemplateOf(resource);
      if (template === undefined) return [];
      const metadata = record(template['metadata']);
      const spec = record(template['spec']);
      const containers = [...list(spec['containers']), ...list(spec['initContainers'])].map((c) => {
        const container = record(c);
        const image = container['image'];
        return { name: String(container['name'] ?? ''), ...(typeof image === 'string' ? { image } : {}) };
      });
      return [
        {
          kind: resource.kind,
          namespace: resource.namespace,
          name: resource.name,
          labels: stringMap(metadata['labels']),
          annotations: stringMap(metadata['annotations']),
          containers,
        },
      ];
    });
    return this.cachedWorkloads;
  }
}

function podTemplateOf(resource: AnalysisResource): Record<string, unknown> | undefined {
  if (resource.kind === 'Pod') return resource.object;
  const spec = record(resource.object['spec']);
  if (POD_TEMPLATE_KINDS.has(resource.kind)) return record(spec['template']);
  if (resource.kind === 'CronJob') return record(record(record(spec['jobTemplate'])['spec'])['template']);
  return undefined;
}

/** The spec of an Istio resource (the loader validated it against the kind's schema). */
export function specOf<K extends IstioKindName>(resource: AnalysisResource, _kind: K): IstioSpecs[K] {
  return record(resource.object['spec']) as IstioSpecs[K];
}

export function metadataOf(resource: AnalysisResource): Record<string, unknown> {
  return record(resource.object['metadata']);
}

export function labelsOf(resource: AnalysisResource): Readonly<Record<string, string>> {
  return stringMap(metadataOf(resource)['labels']);
}

export function annotationsOf(resource: AnalysisResource): Readonly<Record<string, string>> {
  return stringMap(metadataOf(resource)['annotations']);
}

/** Kubernetes `labels.SelectorFromSet(...).String()`: `k=v` pairs sorted by key, comma-separated. */
export function selectorString(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(',');
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, v] of Object.entries(record(value))) if (typeof v === 'string') result[key] = v;
  return result;
}

const INJECT = 'sidecar.istio.io/inject';

/**
 * Istio's `PodInMesh`: an `istio-proxy` container with an image, else the pod's inject label, else its
 * inject annotation, else its namespace's `istio-injection` label. A namespace the files do not define
 * may well be injected: its pods count as in the mesh.
 */
export function workloadInMesh(workload: AnalysisWorkload, ctx: AnalysisContext): boolean {
  if (workload.containers.some((c) => c.name === 'istio-proxy' && c.image !== undefined && c.image !== ''))
    return true;
  const decided = workload.labels[INJECT] ?? workload.annotations[INJECT];
  if (decided !== undefined) return decided === 'true';
  const namespace = ctx.find('Namespace', '', workload.namespace);
  if (namespace === undefined) return true;
  return labelsOf(namespace)['istio-injection'] === 'enabled';
}
