import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings for every project. Workspace packages resolve to their TypeScript sources
 * through the `@mesh/source` export condition, so tests never need a prior build.
 */
export function meshVitestConfig(options: { testTimeout?: number; fileParallelism?: boolean } = {}) {
  const conditions = ['@mesh/source', ...defaultServerConditions];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      fileParallelism: options.fileParallelism ?? true,
      passWithNoTests: true,
      // Tests compare the text of the programs they run; Nx forces colour in CI (FORCE_COLOR), which
      // would reach those programs through the test's environment and colour their output.
      env: { FORCE_COLOR: '0' },
      // The JSON report feeds the workspace-wide summary line (tools/scripts/summarize-tests.mjs).
      reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
    },
  });
}
