/**
 * `@mesh/launcher`: the one way the mesh's programs are started — by `meshctl local`, the e2e tests
 * and the benchmarks. See README.md.
 */
export { istiodArgs, type IstiodOptions } from './istiod/istiod-args.js';
export {
  istiodRootCert,
  secureXdsAddress,
  startIstiod,
  type IstiodProcess,
  type LaunchedIstiodPorts,
} from './istiod/start-istiod.js';
export { LAUNCH_ERROR_CODES, LaunchError, type LaunchErrorCode } from './process/launch-error.js';
export {
  DEFAULT_STOP_GRACE_MS,
  describeExit,
  ManagedProcess,
  stopAll,
  type ExitStatus,
  type ProcessOptions,
} from './process/managed-process.js';
export { meshBinary, type MeshCommand } from './process/mesh-binaries.js';
export { MeshProgram, programCommandLine, type ProgramLaunchOptions } from './process/mesh-program.js';
export { ProcessLogs, type LogDestination } from './process/process-logs.js';
export { waitUntil } from './process/wait-until.js';
export type { IstiodPorts, ProxyPorts } from './readiness/readiness-report.js';
export {
  DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS,
  mintJoinToken,
  writeJoinTokenFile,
  type MintedJoinToken,
} from './sidecar/join-token.js';
export { sidecarArgs, type AppEndpoint, type SidecarOptions } from './sidecar/sidecar-args.js';
export { startSidecar, type SidecarProcess } from './sidecar/start-sidecar.js';
