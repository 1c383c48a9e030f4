import { meshVitestConfig } from '../../vitest.preset.js';

// One file at a time: each file brings up its own control plane (etcd, kube-apiserver, controllers,
// kwok), and two at once would compete for the machine's two cores.
export default meshVitestConfig({ testTimeout: 180_000, fileParallelism: false });
