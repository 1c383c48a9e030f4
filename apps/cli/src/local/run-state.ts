import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { privateDir } from './state-dir.js';

/**
 * What a running local mesh leaves in its state directory so that other `meshctl local` commands can
 * find it: the supervisor's pid, istiod's ports, and every workload instance with its address, ports,
 * identity, processes and log files. Written atomically, owner-only (0600 in a 0700 directory: it
 * names every process and port of the mesh); removed on a clean shutdown.
 */

export interface InstanceState {
  /** `<workload>-<replica>`, e.g. `reviews-v2-0`. */
  instance: string;
  workload: string;
  namespace: string;
  serviceAccount: string;
  identity: string;
  labels: Record<string, string>;
  /** The instance's own address (a loopback address in explicit mode, a pod IP in transparent mode). */
  address: string;
  /** The ports the app serves, as Services target them. */
  ports: number[];
  /** Explicit mode: where the app really listens for each of its ports (the sidecar owns the port). */
  appPorts: Record<string, number>;
  sidecar: boolean;
  /** Environment the app runs with (proxy variables in explicit mode), for `local exec`. */
  env: Record<string, string>;
  /** Network namespace in transparent mode. */
  netns?: string;
  appPid?: number;
  proxyPid?: number;
  /**
   * The sidecar's admin port on 127.0.0.1 — each explicit-mode sidecar has its own, as they share that
   * loopback; Istio's 15000 in the pod's own loopback in transparent mode.
   */
  adminPort?: number;
  /** How many times the supervisor restarted the sidecar (it died while the app ran). */
  restarts?: number;
  logs: { app: string; proxy?: string };
}

export interface RunState {
  mesh: string;
  meshFile: string;
  mode: 'explicit' | 'transparent';
  supervisorPid: number;
  startedAt: string;
  ready: boolean;
  configDir: string;
  istiod: { pid?: number; xdsPort: number; secureXdsPort: number; monitoringPort: number; log: string };
  instances: InstanceState[];
}

export function runStateFile(stateDir: string): string {
  return join(stateDir, 'local', 'run.json');
}

export function writeRunState(stateDir: string, state: RunState): void {
  const file = runStateFile(stateDir);
  privateDir(join(stateDir, 'local'));
  rmSync(`${file}.tmp`, { force: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600, flag: 'wx' });
  renameSync(`${file}.tmp`, file);
}

/** The state of the mesh running on `stateDir`, or undefined when none is (or its supervisor died). */
export function readRunState(stateDir: string): RunState | undefined {
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(runStateFile(stateDir), 'utf8')) as RunState;
  } catch {
    return undefined;
  }
  return processAlive(state.supervisorPid) ? state : undefined;
}

export function removeRunState(stateDir: string): void {
  rmSync(runStateFile(stateDir), { force: true });
}

export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

/**
 * A process that died but is not reaped yet (a detached supervisor killed, its parent gone, until init
 * reaps it) still answers signal 0: Linux's /proc says it is a zombie (state Z).
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
