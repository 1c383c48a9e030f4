import { meshVitestConfig } from '../../vitest.preset.js';

export default meshVitestConfig();
