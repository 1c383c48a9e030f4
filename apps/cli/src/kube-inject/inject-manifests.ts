import {
  injectPod,
  ownerUri,
  type InjectionInput,
  type InjectionDecision,
  type PodLike,
  type WorkloadIdentity,
} from '@mesh/kube';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * `meshctl kube-inject` over a YAML stream: every document (and every item of a `List`) that holds a
 * pod — a Pod, or the pod template of a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or
 * CronJob — goes through the same pure injection as istiod's webhook; everything else passes through
 * unchanged. Pure: the caller reads the input and the injector's settings.
 */

export type InjectionSettings = Omit<InjectionInput, 'pod' | 'namespace' | 'workload'>;

export interface InjectedObject {
  kind: string;
  namespace: string;
  name: string;
  decision?: InjectionDecision;
}

export interface InjectedManifests {
  yaml: string;
  objects: InjectedObject[];
}

/** A clear error about one document of the input, with its position. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

function templateOf(object: Json): Json | undefined {
  const path = TEMPLATE_PATHS[String(object['kind'])];
  let node: unknown = object;
  for (const key of path ?? []) node = isObject(node) ? node[key] : undefined;
  return path && isObject(node) ? node : undefined;
}

function injectObject(
  object: Json,
  settings: InjectionSettings,
  defaultNamespace: string,
  where: string,
  objects: InjectedObject[],
): Json {
  const kind = String(object['kind'] ?? '');
  if (kind === 'List' && Array.isArray(object['items']))
    return {
      ...object,
      items: object['items'].map((item: unknown, i) =>
        isObject(item)
          ? injectObject(item, settings, defaultNamespace, `${where} items[${i}]`, objects)
          : item,
      ),
    };
  const meta = isObject(object['metadata']) ? object['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : defaultNamespace;
  const apiVersion = String(object['apiVersion'] ?? '');
  const pod = kind === 'Pod' ? object : templateOf(object);
  if (pod === undefined) return object;
  if (!isObject(pod['spec']) || !Array.isArray(pod['spec']['containers']))
    throw new ManifestError(`${where} (${kind} ${name}): the pod has no spec.containers`);
  const workload: WorkloadIdentity =
    kind === 'Pod'
      ? { name, owner: ownerUri('v1', 'Pod', namespace, name) }
      : { name, owner: ownerUri(apiVersion, kind, namespace, name) };
  let result;
  try {
    result = injectPod({ ...settings, pod: pod as unknown as PodLike, namespace, workload });
  } catch (err) {
    throw new ManifestError(`${where} (${kind} ${namespace}/${name}): ${(err as Error).message}`);
  }
  objects.push({ kind, namespace, name, decision: result.decision });
  if (!result.decision.inject) return object;
  return kind === 'Pod' ? (result.pod as unknown as Json) : replaceTemplate(object, result.pod);
}

/** A copy of `object` with its pod template replaced. */
function replaceTemplate(object: Json, template: PodLike): Json {
  const path = TEMPLATE_PATHS[String(object['kind'])] ?? [];
  const set = (node: Json, keys: readonly string[]): Json => {
    const [key, ...rest] = keys as [string, ...string[]];
    return { ...node, [key]: rest.length === 0 ? template : set(node[key] as Json, rest) };
  };
  return set(object, path);
}

/** Injects every pod of a multi-document YAML stream; documents keep their order. */
export function injectManifests(
  text: string,
  file: string,
  settings: InjectionSettings,
  defaultNamespace: string,
): InjectedManifests {
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  const objects: InjectedObject[] = [];
  const out: string[] = [];
  list.forEach((document, i) => {
    const where = `${file}: document ${i + 1}`;
    if (document.errors.length > 0)
      throw new ManifestError(`${where}: YAML syntax error: ${document.errors[0]?.message ?? ''}`);
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (!isObject(value)) throw new ManifestError(`${where}: not a Kubernetes object`);
    out.push(stringify(injectObject(value, settings, defaultNamespace, where, objects)));
  });
  return { yaml: out.join('---\n'), objects };
}
