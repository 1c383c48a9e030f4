import { readAnalysisFile, type AnalysisFile, type MeshConfigValidation } from '@mesh/policy';
import { checkEnvoyPatchValue } from '@mesh/xds/envoy-filter';
import { stringify } from 'yaml';

import { ClusterReader, type ClusterObject, type ClusterTarget } from '../diagnose/cluster-objects.js';
import { ISTIO_NAMESPACE, MESH_CONFIG_MAP, meshConfigOfConfigMap } from '../diagnose/diagnose-mesh.js';

/**
 * `meshctl analyze --use-kube` (istioctl's default): the cluster's resources as analysis input — its
 * Namespaces, Services and Pods (with their status: IST0103 looks for running pods) and every Istio
 * resource of the kinds whose CRD is installed — read with `--kubeconfig`/`--context`, as one
 * document stream named `<cluster>` (messages then give its line, not a file's).
 */

export const CLUSTER_SOURCE = '<cluster>';

/** What the analyzers read of an object: no managedFields or other server bookkeeping. */
function document(item: ClusterObject) {
  const { apiVersion, kind } = item;
  const { name, namespace, labels, annotations } = item.metadata ?? {};
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    ...(item['spec'] === undefined ? {} : { spec: item['spec'] }),
    ...(kind === 'Pod' && item['status'] !== undefined ? { status: item['status'] } : {}),
  };
}

let version = 0;

/**
 * The cluster's resources as one analysis file, and the MeshConfig of its `istio` ConfigMap (istioctl
 * analyzes a cluster with it: its rootNamespace makes policies there mesh-wide), if it has one.
 */
export async function readClusterForAnalysis(
  cluster: ClusterTarget,
): Promise<{ file: AnalysisFile; meshConfig?: MeshConfigValidation }> {
  const reader = ClusterReader.connect(cluster);
  const objects = [
    ...(await reader.list('Namespace')),
    ...(await reader.list('Service')),
    ...(await reader.list('Pod')),
    ...(await reader.istioObjects()),
  ];
  const meshConfig = meshConfigOfConfigMap(await reader.configMap(ISTIO_NAMESPACE, MESH_CONFIG_MAP));
  const file = readAnalysisFile(
    objects.map((o) => stringify(document(o))).join('---\n'),
    CLUSTER_SOURCE,
    () => `kube-${++version}`,
    // What istiod's webhook checks, for objects that reached the cluster without it.
    { checkEnvoyPatchValue },
  );
  return { file, ...(meshConfig === undefined ? {} : { meshConfig }) };
}
