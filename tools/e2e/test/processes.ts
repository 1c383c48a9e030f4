import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);

/** The built entry points of the apps, found through their packages (as `npx` finds them). */
export const BIN = {
  istiod: join(dirname(require.resolve('@mesh/istiod/package.json')), 'dist', 'main.js'),
  meshctl: join(dirname(require.resolve('@mesh/cli/package.json')), 'bin', 'run.js'),
  proxy: join(dirname(require.resolve('@mesh/proxy/package.json')), 'dist', 'main.js'),
};

export function meshctl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN.meshctl, ...args], { encoding: 'utf8', timeout: 30_000 });
}

export interface IstiodProcess {
  child: ChildProcess;
  ports: { xdsPort: number; secureXdsPort: number; monitoringPort: number };
  /** Every JSON log line istiod printed so far. */
  logs: string[];
  stop(): Promise<number | null>;
}

/** Starts `istiod` on loopback with free ports and waits for its "serving" log line. */
export async function startIstiodProcess(args: string[]): Promise<IstiodProcess> {
  const child = spawn(
    process.execPath,
    [
      BIN.istiod,
      '--listen-address',
      '127.0.0.1',
      // Free ports unless the caller names them (a restart on the ports its clients know).
      ...(args.includes('--xds-port') ? [] : ['--xds-port', '0', '--secure-xds-port', '0']),
      '--monitoring-port',
      '0',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const logs: string[] = [];
  const ports = await new Promise<IstiodProcess['ports']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('istiod did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`istiod exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string } & IstiodProcess['ports'];
      if (entry.msg === 'istiod is serving') {
        clearTimeout(timer);
        resolve(entry);
      }
    });
  });
  return {
    child,
    ports,
    logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
