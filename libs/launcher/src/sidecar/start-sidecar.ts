import { MeshProgram, programCommandLine, type ProgramLaunchOptions } from '../process/mesh-program.js';
import { sidecarArgs, type SidecarOptions } from './sidecar-args.js';

export type SidecarProcess = MeshProgram<'mesh-proxy'>;

/**
 * Starts a workload's `mesh-proxy`. `await sidecar.ready` resolves when it is ready as its
 * `/healthz/ready` says (workload certificate issued, first configuration from istiod applied), or
 * rejects with its reason as soon as it knows it cannot start.
 */
export function startSidecar(options: SidecarOptions, launch: ProgramLaunchOptions): SidecarProcess {
  const argv = programCommandLine('mesh-proxy', sidecarArgs(options), launch);
  return new MeshProgram('mesh-proxy', argv, {
    ...launch,
    name: launch.name ?? `sidecar ${options.podName}`,
  });
}
