import type { WorkloadIdentity } from './proxy-container.js';

/**
 * The workload a pod belongs to, as Istio's injector names it for `ISTIO_META_WORKLOAD_NAME`,
 * `ISTIO_META_OWNER` and the canonical-service labels (`pkg/kube/inject/inject.go`
 * `GetDeployMetaFromPod`): a ReplicaSet `<deployment>-<hash>` stands for its Deployment, a Job
 * `<cronjob>-<scheduled time>` for its CronJob, any other controller for itself, and a pod without
 * one for itself (its name, or its generateName without the trailing dash).
 */

export interface OwnerReferenceLike {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
}

export interface PodMetaLike {
  name?: string;
  generateName?: string;
  ownerReferences?: readonly OwnerReferenceLike[];
}

/** The REST plural of the controller kinds pods have. */
const PLURALS: Record<string, string> = {
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  ReplicationController: 'replicationcontrollers',
  Pod: 'pods',
};

/** `kubernetes://apis/<group>/<version>/namespaces/<ns>/<plural>/<name>` (core kinds under `api/v1`). */
export function ownerUri(apiVersion: string, kind: string, namespace: string, name: string): string {
  const plural = PLURALS[kind] ?? `${kind.toLowerCase()}s`;
  const prefix = apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`;
  return `kubernetes://${prefix}/namespaces/${namespace}/${plural}/${name}`;
}

/** A ReplicaSet that a Deployment made ends in `-<pod-template-hash>` (alphanumeric, no vowels). */
const TEMPLATE_HASH = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{5,10}$/;
/** A Job that a CronJob made ends in `-<minutes since epoch>`. */
const SCHEDULED_JOB = /^(.+)-\d{8,}$/;

export function workloadOfPod(meta: PodMetaLike, namespace: string): WorkloadIdentity {
  const owner = meta.ownerReferences?.find((ref) => ref.controller === true) ?? meta.ownerReferences?.[0];
  if (owner?.kind && owner.name && owner.apiVersion) {
    if (owner.kind === 'ReplicaSet') {
      const deployment = TEMPLATE_HASH.exec(owner.name)?.[1];
      if (deployment)
        return { name: deployment, owner: ownerUri('apps/v1', 'Deployment', namespace, deployment) };
    }
    if (owner.kind === 'Job') {
      const cronJob = SCHEDULED_JOB.exec(owner.name)?.[1];
      if (cronJob) return { name: cronJob, owner: ownerUri('batch/v1', 'CronJob', namespace, cronJob) };
    }
    return { name: owner.name, owner: ownerUri(owner.apiVersion, owner.kind, namespace, owner.name) };
  }
  const name = meta.name || (meta.generateName ?? '').replace(/-$/, '') || 'unknown';
  return { name, owner: ownerUri('v1', 'Pod', namespace, name) };
}

/** Istio's canonical service of a workload: the `app.kubernetes.io/*` labels, then `app`/`version`. */
export function canonicalService(
  labels: Readonly<Record<string, string>>,
  workloadName: string,
): { name: string; revision: string } {
  return {
    name:
      labels['service.istio.io/canonical-name'] ??
      labels['app.kubernetes.io/name'] ??
      labels['app'] ??
      workloadName,
    revision:
      labels['service.istio.io/canonical-revision'] ??
      labels['app.kubernetes.io/version'] ??
      labels['version'] ??
      'latest',
  };
}
