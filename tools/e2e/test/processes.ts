import { spawnSync, type ChildProcess } from 'node:child_process';

import { meshBinary, startIstiod, type IstiodOptions, type LaunchedIstiodPorts } from '@mesh/launcher';

/** The CLI's command, found through its package's bin entry (as `npx meshctl` finds it). */
export const BIN = { meshctl: meshBinary('meshctl') };

export function meshctl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN.meshctl, ...args], { encoding: 'utf8', timeout: 30_000 });
}

export interface IstiodProcess {
  child: ChildProcess;
  ports: LaunchedIstiodPorts;
  /** Every line istiod printed so far (its JSON logs). */
  logs: string[];
  /** SIGTERM (SIGKILL after 5 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * istiod through the launcher `meshctl local` uses: on loopback with free ports unless `options` name
 * them (a restart on the ports its clients know); resolves once istiod reports it serves.
 */
export async function startIstiodProcess(options: IstiodOptions): Promise<IstiodProcess> {
  const istiod = startIstiod(options, { logs: { memory: true }, readyTimeoutMs: 20_000 });
  return {
    child: istiod.child,
    ports: await istiod.ready,
    logs: istiod.logs.lines,
    stop: async () => (await istiod.stop()).code,
  };
}
