export { buildAll, builtFiles, CACHE_DIR, type BuiltFiles } from './build/go-build.js';
export { kubernetesVersion } from './build/go-components.js';
export { startKubeCluster, type KubeCluster, type StartKubeClusterOptions } from './kube-cluster.js';
