import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import { STATE_FILES } from '@mesh/pki';

import { withTimeout } from '../common/bench-report.js';

/**
 * The real mesh the proxy benchmark runs on loopback: the istiod binary on a config directory,
 * a join token per workload from `meshctl local token create`, and `mesh-proxy` sidecars in explicit
 * mode, each bound to its own 127.x address with Istio's ports (15001 forward proxy, 15000 admin,
 * 15021 readiness). Every child is killed when the benchmark exits, however it exits.
 */

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
export const BIN = {
  istiod: join(packageDir('@mesh/istiod'), 'dist', 'main.js'),
  meshctl: join(packageDir('@mesh/cli'), 'bin', 'run.js'),
  proxy: join(packageDir('@mesh/proxy'), 'dist', 'main.js'),
};

const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * Starts a node script as a child that dies with the benchmark. The last 200 lines of its stdout and
 * stderr are kept for error messages; `onStdoutLine` sees every stdout line (e.g. a "serving" log).
 */
export function spawnTracked(
  args: string[],
  logs: string[],
  onStdoutLine?: (line: string) => void,
  ipc = false,
): ChildProcess {
  const child = spawn(process.execPath, args, {
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  const keep = (line: string) => {
    logs.push(line);
    if (logs.length > 200) logs.shift();
  };
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', keep);
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    keep(line);
    onStdoutLine?.(line);
  });
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Polls `check` every 200 ms until it is true; throws with `describe()` after `timeoutMs`, or as soon
 * as `gaveUp()` says waiting is pointless (the process being waited for has exited).
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline || gaveUp()) throw new Error(describe());
    await sleep(200);
  }
}

export interface Istiod {
  child: ChildProcess;
  xdsPort: number;
  secureXdsPort: number;
  logs: string[];
}

/** istiod on loopback with OS-chosen ports; resolves on its `istiod is serving` log line. */
export async function startIstiod(configDir: string, stateDir: string, timeoutMs: number): Promise<Istiod> {
  const logs: string[] = [];
  let serving: (ports: { xdsPort: number; secureXdsPort: number }) => void = () => undefined;
  const child = spawnTracked(
    [
      BIN.istiod,
      ...['--config-dir', configDir, '--state-dir', stateDir, '--listen-address', '127.0.0.1'],
      ...['--xds-port', '0', '--secure-xds-port', '0', '--monitoring-port', '0'],
      ...['--push-debounce', '10ms', '--log-level', 'info'],
    ],
    logs,
    (line) => {
      if (!line.includes('istiod is serving')) return;
      const entry = JSON.parse(line) as { xdsPort?: number; secureXdsPort?: number };
      if (entry.xdsPort && entry.secureXdsPort)
        serving({ xdsPort: entry.xdsPort, secureXdsPort: entry.secureXdsPort });
    },
  );
  const ports = await withTimeout(
    new Promise<{ xdsPort: number; secureXdsPort: number }>((resolve, reject) => {
      serving = resolve;
      child.once('exit', (code) => reject(new Error(`istiod exited with ${code}:\n${logs.join('\n')}`)));
    }),
    timeoutMs,
    'istiod start',
  );
  return { child, logs, ...ports };
}

export interface SidecarSpec {
  name: string;
  /** Its own loopback address; every listener of the sidecar binds there. */
  address: string;
  /** Application port → where the application really listens. */
  inbound?: Record<number, { host: string; port: number }>;
  /** Extra node flags for the sidecar's node (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
}

export interface Sidecar {
  name: string;
  address: string;
  child: ChildProcess;
  pid: number;
  logs: string[];
  adminUrl: string;
}

/** Issues a join token for the workload, starts its sidecar and waits for `/healthz/ready`. */
export async function startSidecar(
  istiod: Istiod,
  stateDir: string,
  spec: SidecarSpec,
  timeoutMs: number,
): Promise<Sidecar> {
  const token = spawnSync(
    process.execPath,
    [BIN.meshctl, 'local', 'token', 'create', '-n', 'default', '--sa', spec.name, '--state-dir', stateDir],
    { encoding: 'utf8', timeout: timeoutMs },
  );
  if (token.status !== 0) throw new Error(`meshctl local token create: ${token.stderr}`);
  const tokenFile = join(stateDir, `${spec.name}.token`);
  writeFileSync(tokenFile, token.stdout.trim(), { mode: 0o600 });
  // xDS (endpoints register only over mTLS), the CA and renewals: istiod's TLS port.
  const secure = `127.0.0.1:${istiod.secureXdsPort}`;
  const logs: string[] = [];
  const child = spawnTracked(
    [
      ...(spec.nodeFlags ?? []),
      BIN.proxy,
      ...['--pod-name', spec.name, '--namespace', 'default', '--service-account', spec.name],
      ...['--instance-ip', spec.address, '--labels', `app=${spec.name}`],
      ...['--xds-address', secure, '--xds-tls', '--ca-address', secure],
      ...['--ca-root-cert', join(stateDir, STATE_FILES.rootCert), '--token-file', tokenFile],
      ...['--capture', 'explicit', '--drain-duration', '500ms', '--log-level', 'warn'],
      ...Object.entries(spec.inbound ?? {}).flatMap(([port, app]) => [
        '--inbound',
        `${port}=${app.host}:${app.port}`,
      ]),
    ],
    logs,
  );
  await waitUntil(
    async () => (await fetch(`http://${spec.address}:15021/healthz/ready`)).status === 200,
    timeoutMs,
    () => `sidecar ${spec.name} not ready (exit ${child.exitCode}):\n${logs.join('\n')}`,
    () => child.exitCode !== null,
  );
  return {
    name: spec.name,
    address: spec.address,
    child,
    pid: child.pid as number,
    logs,
    adminUrl: `http://${spec.address}:15000`,
  };
}

/** Outbound clusters in the sidecar's `/config_dump` (the admin port answers on loopback). */
export async function outboundClusters(sidecar: Sidecar): Promise<number> {
  const dump = (await (await fetch(`${sidecar.adminUrl}/config_dump`)).json()) as {
    configs: { dynamic_active_clusters?: { cluster: { name?: string } }[] }[];
  };
  const clusters = dump.configs.flatMap((c) => c.dynamic_active_clusters ?? []);
  return clusters.filter((c) => c.cluster.name?.startsWith('outbound|')).length;
}

/** `istio_requests_total` of a sidecar by reporter and `connection_security_policy`. */
export async function requestsBySecurity(sidecar: Sidecar): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${sidecar.address}:15090/stats/prometheus`)).text();
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{')) continue;
    const reporter = /reporter="([^"]*)"/.exec(line)?.[1] ?? '?';
    const policy = /connection_security_policy="([^"]*)"/.exec(line)?.[1] ?? '?';
    const key = `${reporter}/${policy}`;
    totals[key] = (totals[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return totals;
}
