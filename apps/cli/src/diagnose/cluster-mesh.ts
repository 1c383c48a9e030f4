import { configKey, validateResource, type StoredConfig } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';

import {
  ClusterReadError,
  ClusterReader,
  type ClusterObject,
  type ClusterTarget,
} from './cluster-objects.js';
import {
  diagnoseInstance,
  DiagnoseError,
  EXIT,
  ISTIO_NAMESPACE,
  MESH_CONFIG_MAP,
  meshSettingsFrom,
  type DiagnoseMesh,
} from './diagnose-mesh.js';

/**
 * The mesh of a cluster (`--kubeconfig`/`--context`) as istiod on it builds its snapshot: its Services,
 * EndpointSlices (which Pods back each Service), Pods, Namespaces and Istio resources, each kept out
 * when it does not validate (istiod's KubeConfigStore keeps invalid objects out the same way), and the
 * MeshConfig of the `istio` ConfigMap in istiod's namespace. Its workload instances are the Pods with
 * an IP; a Pod with Istio's `security.istio.io/tlsMode: istio` label (the injector sets it) has a sidecar.
 */

function storedConfig(object: ClusterObject): StoredConfig | undefined {
  if (validateResource(object).errors.length > 0) return undefined;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata?.namespace ?? '',
    name: object.metadata?.name ?? '',
    object,
    resourceVersion: object.metadata?.resourceVersion ?? '',
  };
}

export async function meshFromCluster(target: ClusterTarget): Promise<DiagnoseMesh> {
  let objects: ClusterObject[];
  try {
    const reader = ClusterReader.connect(target);
    const meshConfig = await reader.configMap(ISTIO_NAMESPACE, MESH_CONFIG_MAP);
    objects = [
      ...(await reader.list('Namespace')),
      ...(await reader.list('Service')),
      ...(await reader.list('EndpointSlice')),
      ...(await reader.list('Pod')),
      ...(await reader.istioObjects()),
      ...(meshConfig === undefined ? [] : [meshConfig]),
    ];
  } catch (err) {
    if (err instanceof ClusterReadError) throw new DiagnoseError(err.message, EXIT.noMesh);
    throw err;
  }
  const configs = new Map<string, StoredConfig>();
  for (const object of objects) {
    const config = storedConfig(object);
    if (config) configs.set(configKey(config.kind, config.namespace, config.name), config);
  }
  const snapshot = new MeshSnapshot([...configs.values()]);
  // The Pods themselves: their copies as EndpointSlice endpoints stand for them behind each Service.
  const instances = snapshot
    .workloadInstances()
    .filter((w) => w.origin === 'Pod')
    .map(diagnoseInstance);
  return { source: 'cluster', snapshot, instances, settings: meshSettingsFrom([...configs.values()]) };
}
