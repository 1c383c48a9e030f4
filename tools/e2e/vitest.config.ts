import { meshVitestConfig } from '../../vitest.preset.js';

export default meshVitestConfig({ testTimeout: 60_000 });
