import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * Proves the dependency rules of DESIGN.md §4 are enforced: each case lints a one-line file placed
 * (virtually) inside a project with the workspace's real ESLint config and checks whether
 * @nx/enforce-module-boundaries reports it.
 */
const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function boundaryErrors(file: string, importFrom: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: workspaceRoot });
  const [result] = await eslint.lintText(
    `import * as dep from '${importFrom}';\n\nexport const used = dep;\n`,
    {
      filePath: join(workspaceRoot, file),
    },
  );
  const rules = ['@nx/enforce-module-boundaries', 'no-restricted-imports'];
  return (result?.messages ?? []).filter((m) => rules.includes(m.ruleId ?? '')).map((m) => m.message);
}

describe('module boundaries (DESIGN.md §4)', () => {
  it.each([
    ['libs/policy/src/probe.ts', '@mesh/xds', 'libs/policy depends on no other internal lib'],
    ['libs/policy/src/probe.ts', '@mesh/pki', 'libs/policy depends on no other internal lib'],
    ['libs/pki/src/probe.ts', '@mesh/policy', 'libs/pki depends on no other internal lib'],
    ['libs/xds/src/probe.ts', '@mesh/pki', 'libs/xds may only use libs/policy'],
    ['libs/xds/src/probe.ts', '@mesh/istiod', 'libs never import apps'],
    ['libs/policy/src/probe.ts', '@mesh/cli', 'libs never import apps'],
    ['apps/proxy/src/probe.ts', '@mesh/istiod', 'apps never import each other'],
    ['apps/cli/src/probe.ts', '@mesh/proxy', 'apps never import each other'],
    ['libs/launcher/src/probe.ts', '@mesh/istiod', 'libs never import apps (the launcher runs them)'],
    ['libs/launcher/src/probe.ts', '@mesh/proxy', 'libs never import apps (the launcher runs them)'],
    ['libs/launcher/src/probe.ts', '@mesh/xds', 'libs/launcher may only use libs/pki'],
    ['libs/pki/src/probe.ts', '@mesh/launcher', 'libs/pki depends on no other internal lib'],
    ['libs/policy/src/probe.ts', '@mesh/registry', 'libs/policy depends on no other internal lib'],
    ['libs/registry/src/probe.ts', '@mesh/xds', 'libs/registry may only use libs/policy'],
    ['libs/registry/src/probe.ts', '@mesh/pki', 'libs/registry may only use libs/policy'],
    ['libs/registry/src/probe.ts', '@mesh/istiod', 'libs never import apps'],
    ['libs/pki/src/probe.ts', '@mesh/registry', 'libs/pki depends on no other internal lib'],
    ['libs/launcher/src/probe.ts', '@mesh/registry', 'libs/launcher may only use libs/pki'],
  ])('%s importing %s fails lint (%s)', async (file, target) => {
    const errors = (await boundaryErrors(file, target)).join('\n');
    // Nx names the broken tag rule or, when the reverse dependency exists (libs/xds → libs/policy,
    // libs/registry → libs/policy), the cycle the import would create; either way the import fails lint.
    expect(errors).toMatch(
      /A project tagged with "scope:[a-z]+" can(not| only) depend on|Apps are not importable|Circular dependency between/,
    );
  });

  it.each([
    ['libs/xds/src/probe.ts', '@mesh/policy'],
    ['apps/istiod/src/probe.ts', '@mesh/xds'],
    ['apps/cli/src/probe.ts', '@mesh/policy'],
    ['apps/proxy/src/probe.ts', '@mesh/pki'],
    ['libs/launcher/src/probe.ts', '@mesh/pki'],
    ['apps/cli/src/probe.ts', '@mesh/launcher'],
    ['apps/istiod/src/probe.ts', '@mesh/launcher/readiness'],
    ['libs/registry/src/probe.ts', '@mesh/policy'],
    ['libs/xds/src/probe.ts', '@mesh/registry'],
    ['apps/istiod/src/probe.ts', '@mesh/registry'],
    ['apps/cli/src/probe.ts', '@mesh/registry'],
  ])('%s importing %s is allowed', async (file, target) => {
    expect(await boundaryErrors(file, target)).toEqual([]);
  });

  // Test harnesses (type:test-harness: tools/kube-cluster, a real control plane) serve tests only: a
  // project's test files may import one, its sources may not, so no harness reaches production code.
  it.each([
    ['libs/kube/src/probe.ts', 'type:lib'],
    ['libs/policy/src/probe.ts', 'type:lib'],
    ['apps/istiod/src/probe.ts', 'type:app'],
    ['apps/cli/src/commands/probe.ts', 'type:app'],
  ])('the source file %s importing @mesh/kube-cluster fails lint', async (file, tag) => {
    expect((await boundaryErrors(file, '@mesh/kube-cluster')).join('\n')).toContain(
      `A project tagged with "${tag}" can only depend on libs tagged with "type:lib"`,
    );
  });

  it.each([
    'libs/kube/test/probe.test.ts',
    'libs/kube/src/probe.test.ts',
    'libs/policy/src/probe.test.ts',
    'apps/istiod/test/probe.test.ts',
    'apps/istiod/test/probe-helper.ts',
    'tools/e2e/test/probe.test.ts',
  ])('the test file %s may import @mesh/kube-cluster', async (file) => {
    expect(await boundaryErrors(file, '@mesh/kube-cluster')).toEqual([]);
  });

  it.each([
    ['libs/kube/test/probe.test.ts', '@mesh/xds'],
    ['libs/policy/src/probe.test.ts', '@mesh/pki'],
    ['apps/istiod/test/probe.test.ts', '@mesh/cli'],
  ])('the test file %s still may not import %s', async (file, target) => {
    expect(await boundaryErrors(file, target)).not.toEqual([]);
  });
});
