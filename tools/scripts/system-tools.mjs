#!/usr/bin/env node
// The system tools the tests use as real peers and the Debian packages that provide them: one list, for
// `npm test` (test-all.mjs checks it before running anything) and for CI (.ci/run runs this script before
// `npm ci`). Missing tools are installed with apt-get when this runs as root and apt-get exists, as CI
// runs; otherwise it stops at once with the command to run. Node builtins only: it runs on whatever Node
// the machine has.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYSTEM_TOOLS = [
  { command: 'openssl', debianPackage: 'openssl' },
  { command: 'curl', debianPackage: 'curl' },
  { command: 'iptables', debianPackage: 'iptables' },
  { command: 'iptables-restore', debianPackage: 'iptables' },
  { command: 'iptables-save', debianPackage: 'iptables' },
  { command: 'ip6tables-restore', debianPackage: 'iptables' },
  { command: 'ip6tables-save', debianPackage: 'iptables' },
  { command: 'ip', debianPackage: 'iproute2' },
  { command: 'prometheus', debianPackage: 'prometheus' },
  { command: 'promtool', debianPackage: 'prometheus' },
];

// Where Debian puts iptables and ip, which a user's PATH often lacks: searched too, and added to the
// PATH the tests run with (toolPath), so that they find what is installed.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** PATH and the sbin directories, as the tests get it. */
export function toolPath(path = process.env.PATH ?? '') {
  const dirs = path.split(delimiter).filter((dir) => dir !== '');
  return [...dirs, ...SBIN_DIRS.filter((dir) => !dirs.includes(dir))].join(delimiter);
}

export function onPath(command, path) {
  return path
    .split(delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** The tools of SYSTEM_TOOLS not found in `path` (already a toolPath). */
export function missingTools(path) {
  return SYSTEM_TOOLS.filter((tool) => !onPath(tool.command, path));
}

/**
 * What to do about `missing`: nothing; install (the commands .ci/run has always run); or stop with a
 * message that ends with the command to run.
 */
export function installPlan(missing, { root, aptGet }) {
  if (missing.length === 0) return { action: 'none' };
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))];
  if (root && aptGet)
    return {
      action: 'install',
      packages,
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
      ],
    };
  const install = `${root ? '' : 'sudo '}apt-get install -y ${packages.join(' ')}`;
  return {
    action: 'stop',
    packages,
    message:
      `The tests need ${missing.map((tool) => tool.command).join(', ')}, not found on PATH. ` +
      (aptGet
        ? `Install them, then run the tests again:\n  ${install}`
        : `Install them (the Debian/Ubuntu packages: ${install}), then run the tests again.`),
  };
}

function runInstall(argv) {
  const [program, ...args] = argv;
  const result = spawnSync(program, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

/**
 * Makes sure every tool is there: installs what is missing when it can. Returns true when all are
 * found (at the end), false after printing why not and what to run.
 */
export function ensureSystemTools({
  path = toolPath(),
  root = process.getuid?.() === 0,
  run = runInstall,
  log = (line) => console.error(line),
} = {}) {
  const plan = installPlan(missingTools(path), { root, aptGet: onPath('apt-get', path) });
  if (plan.action === 'none') return true;
  if (plan.action === 'stop') {
    log(plan.message);
    return false;
  }
  log(`Installing the system tools the tests use: ${plan.packages.join(' ')}`);
  for (const argv of plan.commands)
    if (!run(argv)) {
      log(`${argv.join(' ')} failed; install ${plan.packages.join(' ')} and run the tests again.`);
      return false;
    }
  const still = missingTools(path);
  if (still.length === 0) return true;
  log(`Still not found on PATH after installing: ${still.map((tool) => tool.command).join(', ')}.`);
  return false;
}

// Run as a script (`node tools/scripts/system-tools.mjs`, as .ci/run does), not imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exit(ensureSystemTools() ? 0 : 1);
