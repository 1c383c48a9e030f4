import { spawn } from 'node:child_process';
import { fchmodSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';

import { LocalMeshRuntime } from '../../local/local-runtime.js';
import { restoringLine } from '../../local/applied-config.js';
import { localStatus, renderStatusTable, type LocalStatus } from '../../local/local-status.js';
import { MeshFileError, parseMeshFile, type LocalMesh } from '../../local/mesh-file.js';
import {
  cannotRunProgram,
  explicitModeProblems,
  transparentModeProblems,
} from '../../local/prerequisites.js';
import { earlierMeshStillRuns } from '../../local/mesh-processes.js';
import { processAlive, readRunState } from '../../local/run-state.js';
import { privateDir, resolveStateDir, stateDirFlagDefault } from '../../local/state-dir.js';
import { renderTryNext } from '../../local/try-next.js';

/**
 * `meshctl local up -f mesh.yaml`: runs a mesh on this machine — istiod, then every workload's app and
 * sidecar — prints a line per step and a table when all are ready, and stays in the foreground until
 * Ctrl-C (then stops everything it started). `--detach` leaves a supervisor process running instead,
 * which `local status`, `local down` and `local logs` find through the state directory.
 */
export default class LocalUp extends Command {
  static override summary = 'Start a mesh on this machine from a LocalMesh file.';
  static override examples = [
    '<%= config.bin %> local up -f examples/bookinfo-local/mesh.yaml',
    '<%= config.bin %> local up -f mesh.yaml --detach && <%= config.bin %> local status',
  ];

  static override flags = {
    file: Flags.string({ char: 'f', required: true, description: 'the LocalMesh file' }),
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory (env MESH_STATE_DIR)',
    }),
    detach: Flags.boolean({ default: false, description: 'return once ready, leaving a supervisor running' }),
    transparent: Flags.boolean({
      default: false,
      description: 'network namespaces and iptables capture (root)',
    }),
    'xds-port': Flags.integer({
      default: 15010,
      description:
        "istiod's plaintext, config-only xDS port; its TLS port (mTLS xDS, CA) is this + 2 and its monitoring port + 4 (0: any free ports)",
    }),
    output: Flags.string({ char: 'o', options: ['text', 'json'], default: 'text' }),
    supervise: Flags.boolean({ hidden: true, default: false }),
  };

  async run(): Promise<LocalStatus> {
    const { flags } = await this.parse(LocalUp);
    const stateDir = resolveStateDir(flags['state-dir']);
    const meshFile = resolve(flags.file);
    let mesh: LocalMesh;
    try {
      mesh = parseMeshFile(readFileSync(meshFile, 'utf8'), meshFile, cannotRunProgram);
    } catch (err) {
      if (err instanceof MeshFileError) this.error(err.message, { exit: 1 });
      this.error(`cannot read ${meshFile}: ${(err as Error).message}`, { exit: 2 });
    }
    const running = readRunState(stateDir);
    if (running)
      this.error(
        `a mesh is already running on ${stateDir} (supervisor pid ${running.supervisorPid}); run "npx meshctl local down" first`,
        { exit: 2 },
      );
    // Before anything starts (and before --detach hides a failure in the supervisor's log).
    const earlier = earlierMeshStillRuns(stateDir);
    if (earlier) this.error(earlier, { exit: 2 });
    const problems = flags.transparent ? transparentModeProblems() : await explicitModeProblems();
    if (problems.length > 0) {
      // Unwrapped (this.error wraps at 80 columns), so the command in it can be copied.
      this.logToStderr(problems.map((p) => `Error: ${p}`).join('\n'));
      this.exit(2);
    }
    privateDir(stateDir);
    try {
      const restoring = restoringLine(stateDir);
      if (restoring && !flags.supervise && flags.output === 'text') this.log(restoring);
    } catch (err) {
      this.error((err as Error).message, { exit: 1 });
    }

    if (flags.detach)
      return this.#detach(stateDir, meshFile, flags['xds-port'], flags.output, flags.transparent);

    const quiet = flags.supervise;
    const progress = (line: string) => (quiet ? process.stdout.write(`${line}\n`) : this.log(line));
    const runtime = await LocalMeshRuntime.up(mesh, {
      stateDir,
      meshFile,
      transparent: flags.transparent,
      istiodPorts: {
        xds: flags['xds-port'],
        secureXds: flags['xds-port'] === 0 ? 0 : flags['xds-port'] + 2,
        monitoring: flags['xds-port'] === 0 ? 0 : flags['xds-port'] + 4,
      },
      progress,
    }).catch((err: Error) => this.error(err.message, { exit: 1 }));
    const status = await localStatus(runtime.state);
    if (!quiet)
      this.log(
        flags.output === 'json'
          ? JSON.stringify(status, null, 2)
          : `\n${renderStatusTable(status)}\n\n${renderTryNext(mesh, status, flags['state-dir'])}\nCtrl-C stops the mesh.`,
      );
    runtime.supervise(progress);
    const reason = await new Promise<string>((resolveStop) => {
      process.once('SIGINT', () => resolveStop('SIGINT'));
      process.once('SIGTERM', () => resolveStop('SIGTERM'));
    });
    progress(`stopping (${reason})`);
    await runtime.down();
    progress('stopped');
    return status;
  }

  /** Starts `local up --supervise` in the background and waits until its mesh is ready. */
  async #detach(
    stateDir: string,
    meshFile: string,
    xdsPort: number,
    output: string,
    transparent: boolean,
  ): Promise<LocalStatus> {
    const logFile = join(privateDir(join(stateDir, 'logs')), 'supervisor.log');
    const log = openSync(logFile, 'a', 0o600);
    fchmodSync(log, 0o600);
    const logStart = fstatSync(log).size;
    const bin = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        bin,
        'local',
        'up',
        '-f',
        meshFile,
        '--state-dir',
        stateDir,
        '--xds-port',
        String(xdsPort),
        '--supervise',
        ...(transparent ? ['--transparent'] : []),
      ],
      {
        detached: true,
        stdio: ['ignore', log, log],
      },
    );
    child.unref();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const state = readRunState(stateDir);
      if (state?.ready) {
        const status = await localStatus(state);
        this.log(
          output === 'json'
            ? JSON.stringify(status, null, 2)
            : `${renderStatusTable(status)}\n\nsupervisor pid ${state.supervisorPid}; "npx meshctl local down" stops it`,
        );
        return status;
      }
      if (!processAlive(child.pid) || Date.now() > deadline)
        this.error(`the mesh did not come up${supervisorError(logFile, logStart)}; see ${logFile}`, {
          exit: 1,
        });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Why the detached supervisor stopped, as it said it (its error, unwrapped), from what it wrote to its
 * log in this run: the reason is shown where `up --detach` was typed, not only in the log.
 */
function supervisorError(logFile: string, from: number): string {
  const lines = readFileSync(logFile).subarray(from).toString('utf8').split('\n');
  // oclif prints an error as `Error: ...` wrapped at 80 columns, each line after ` ›   `.
  const start = lines.findLastIndex((line) => /^(?: +› +)?Error: /.test(line));
  if (start < 0) return '';
  const continued = lines
    .slice(start + 1)
    .findIndex((line) => !/^ +› /.test(line) || /› +Error: /.test(line));
  const error = lines
    .slice(start, continued < 0 ? undefined : start + 1 + continued)
    .map((line) => line.replace(/^ +› +/, '').trim())
    .join(' ')
    .replace(/^Error: /, '');
  return `: ${error}`;
}
