export { buildAll, builtFiles, CACHE_DIR, type BuiltFiles } from './build/go-build.js';
export { kubernetesVersion } from './build/go-components.js';
export {
  buildAndStartCluster,
  CLUSTER_HOOK_TIMEOUT_MS,
  startKubeCluster,
  type KubeCluster,
  type StartKubeClusterOptions,
} from './kube-cluster.js';
