import { describeWorkload, type WorkloadDescription } from '@mesh/xds';

import { instancesNamed, sidecarProxyOf, DiagnoseError, type DiagnoseMesh } from './diagnose-mesh.js';

/**
 * `meshctl describe pod`'s result: libs/xds `describeWorkload` over the instance's proxy, for a
 * workload or instance named as the local platform names them (`frontend`, `frontend-0`) or as istioctl
 * takes a pod (`name.namespace`).
 */

export interface DescribeResult extends WorkloadDescription {
  source: DiagnoseMesh['source'];
  instance: string;
  workload: string;
  labels: Record<string, string>;
}

/** `name` as given, else `name.namespace` split at the last dot (when no -n names the namespace). */
function lookup(mesh: DiagnoseMesh, name: string, namespace: string | undefined) {
  const dot = name.lastIndexOf('.');
  if (namespace !== undefined || dot < 0) return instancesNamed(mesh, name, namespace);
  try {
    return instancesNamed(mesh, name);
  } catch {
    return instancesNamed(mesh, name.slice(0, dot), name.slice(dot + 1));
  }
}

export function describeResult(mesh: DiagnoseMesh, name: string, namespace?: string): DescribeResult {
  const [instance] = lookup(mesh, name, namespace);
  if (instance === undefined) throw new DiagnoseError(`no instance "${name}"`);
  if (!instance.sidecar)
    throw new DiagnoseError(`${instance.instance} is not part of the mesh: it has no sidecar`);
  return {
    source: mesh.source,
    instance: instance.instance,
    workload: instance.workload,
    labels: instance.labels,
    ...describeWorkload(mesh.snapshot, sidecarProxyOf(instance), mesh.settings),
  };
}
