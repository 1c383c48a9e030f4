// `npm test`: runs every project's vitest suite through Nx (one project at a time: the suites start
// real servers and processes, and the machine has two cores), then sums the JSON report each project
// writes (.vitest/results.json, see vitest.preset.ts) into one closing line for the whole workspace:
// "Tests: N passed, N failed". Fails when any test failed, a project errored, or no test ran at all.
// Before anything runs, the system tools the tests use must be there (system-tools.mjs installs them
// when it can, or stops at once with the command to run): a fresh machine passes, or is told why not.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { ensureSystemTools, toolPath } from './system-tools.mjs';

if (!ensureSystemTools()) process.exit(1);

const root = join(import.meta.dirname, '..', '..');
// Projects live in apps/*, libs/* and tools/*; charts/ is a project itself.
const projectDirs = [
  'charts',
  ...['apps', 'libs', 'tools']
    .filter((group) => existsSync(join(root, group)))
    .flatMap((group) => readdirSync(join(root, group)).map((project) => join(group, project))),
];
for (const dir of projectDirs) rmSync(join(root, dir, '.vitest'), { recursive: true, force: true });

const nx = spawnSync(
  join(root, 'node_modules', '.bin', 'nx'),
  ['run-many', '-t', 'test', '--parallel=1', '--outputStyle=stream', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: toolPath() },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of projectDirs) {
  const report = join(root, dir, '.vitest', 'results.json');
  if (!existsSync(report)) continue;
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + results.numTodoTests;
  console.log(`  ${dir}: ${results.numPassedTests} passed, ${results.numFailedTests} failed`);
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = nx.status !== 0 || failed > 0 || passed === 0 ? 1 : 0;
