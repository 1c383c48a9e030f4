import { meshVitestConfig } from '../../vitest.preset.js';

// One file at a time: each starts real meshes (istiod, sidecars, apps) that would compete for the two
// cores and, in explicit mode, for the same loopback address blocks.
export default meshVitestConfig({ testTimeout: 60_000, fileParallelism: false });
