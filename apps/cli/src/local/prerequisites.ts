import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';

/**
 * What `meshctl local up` needs of this machine, checked before it starts anything: a missing tool or
 * privilege is reported at once with its cause and the command that fixes it, instead of as a process
 * failing seconds later with the reason in its log.
 */

/** Transparent mode's tools, run by name (from PATH), with the Debian package of each. */
const TRANSPARENT_TOOLS = [
  { command: 'ip', debianPackage: 'iproute2', why: 'network namespaces and veth pairs' },
  { command: 'iptables-restore', debianPackage: 'iptables', why: 'the capture rules' },
  { command: 'setpriv', debianPackage: 'util-linux', why: 'the sidecar runs as uid 1337' },
] as const;

/** An address of the first block explicit mode gives workloads (127.0.10.x unless another mesh has it). */
const WORKLOAD_ADDRESS = '127.0.10.1';

/** Whether `command` is an executable file in one of PATH's directories. */
export function onPath(command: string, path = process.env['PATH'] ?? ''): boolean {
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

/** Why transparent mode cannot run here (no problems: it can). */
export function transparentModeProblems(
  uid = process.getuid?.(),
  path = process.env['PATH'] ?? '',
): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux') return ['--transparent needs Linux (network namespaces and iptables)'];
  if (uid !== 0)
    problems.push('--transparent needs root (network namespaces and iptables): run it with sudo');
  const missing = TRANSPARENT_TOOLS.filter((tool) => !onPath(tool.command, path));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => tool.debianPackage))].join(' ');
    problems.push(
      `--transparent needs ${missing.map((t) => `${t.command} (${t.why})`).join(', ')}, not found on PATH; ` +
        `Debian/Ubuntu: ${uid === 0 ? '' : 'sudo '}apt-get install -y ${packages}`,
    );
  }
  return problems;
}

/**
 * Why explicit mode cannot run here: each workload instance gets its own loopback address, which
 * Linux provides for all of 127.0.0.0/8 and other systems only for the addresses configured.
 */
export function explicitModeProblems(address = WORKLOAD_ADDRESS): Promise<string[]> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'EADDRNOTAVAIL'
          ? [
              `explicit mode gives each workload its own loopback address (127.0.<n>.x), and ${address} is not an ` +
                `address of this machine (${err.code}): Linux has all of 127.0.0.0/8 on loopback; elsewhere add the addresses to the loopback interface`,
            ]
          : [],
      ),
    );
    server.listen(0, address, () => server.close(() => resolve([])));
  });
}

/**
 * Why a workload's program cannot be run (undefined: it can), checked before anything starts rather
 * than found when its app never listens: a path is taken from the mesh file's directory, where the
 * app runs, a name is looked up on its PATH. `node` is the pinned Node, which runs the apps.
 */
export function cannotRunProgram(
  program: string,
  cwd: string,
  env: Record<string, string>,
): string | undefined {
  if (program === 'node') return undefined;
  if (program.includes('/')) {
    const path = resolve(cwd, program);
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile() ? undefined : `${path} is not a file`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be executed (${code})`;
    }
  }
  const path = env['PATH'] ?? process.env['PATH'] ?? '';
  return onPath(program, path) ? undefined : `"${program}" is not found on PATH`;
}
