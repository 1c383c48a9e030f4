import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

/**
 * The dependency rules of DESIGN.md §4, as module-boundary constraints on project tags:
 * - libs never import apps, apps never import each other (type:*);
 * - libs/policy and libs/pki depend on no other internal lib; libs/registry (services, endpoints and the
 *   mesh snapshot built from policy's config) and libs/kube may use libs/policy; libs/xds may use
 *   libs/policy and libs/registry; libs/launcher (which runs istiod and mesh-proxy through their
 *   installed commands, never their code) may use libs/pki, for join tokens and the state directory's
 *   layout (scope:*).
 */
export const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
  { sourceTag: 'scope:policy', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:pki', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:registry', onlyDependOnLibsWithTags: ['scope:policy'] },
  { sourceTag: 'scope:xds', onlyDependOnLibsWithTags: ['scope:policy', 'scope:registry'] },
  { sourceTag: 'scope:kube', onlyDependOnLibsWithTags: ['scope:policy'] },
  { sourceTag: 'scope:launcher', onlyDependOnLibsWithTags: ['scope:pki'] },
];

/** Test files: what a project's tests may import beyond what its sources may. */
export const TEST_FILES = ['**/*.test.ts', '**/test/**'];

/**
 * Tests may also use the projects tagged `type:test-harness` (tools/kube-cluster: a real Kubernetes
 * control plane to test against); sources never may, so no harness reaches production code.
 */
export const testDepConstraints = depConstraints.map((constraint) => ({
  ...constraint,
  onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:test-harness'],
}));

const moduleBoundaries = (constraints) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allowCircularSelfDependency: false,
    depConstraints: constraints,
    // The apps' bin entries import @mesh/launcher/pinned-node dynamically, after their "not built
    // yet" check (a static import would fail first, unbuilt): an ordering, not a lazy-loaded lib.
    checkDynamicDependenciesExceptions: ['@mesh/launcher', '@mesh/launcher/*'],
  },
];

export default [
  { ignores: ['**/dist', '**/out-tsc', '**/node_modules', '**/generated', '**/coverage', '.nx'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries(depConstraints),
    },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries(testDepConstraints) },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests assert on values they have just checked exist; `!` keeps them short.
    files: TEST_FILES,
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Apps publish no importable entry point, so Nx cannot resolve `@mesh/<app>` to a project for the
    // rule above; name them here: nothing imports an app (libs never, apps not each other).
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@mesh/istiod',
                '@mesh/istiod/*',
                '@mesh/proxy',
                '@mesh/proxy/*',
                '@mesh/cli',
                '@mesh/cli/*',
              ],
              message:
                'Apps are not importable: libs never import apps and apps never import each other (DESIGN.md §4).',
            },
          ],
        },
      ],
    },
  },
  {
    // Build and test configuration sits outside the project graph and may reach workspace-level presets.
    files: ['**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  prettier,
];
