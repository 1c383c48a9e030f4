import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS,
  describeExit,
  istiodRootCert,
  ManagedProcess,
  meshBinary,
  secureXdsAddress,
  startIstiod,
  startSidecar,
  stopAll,
  waitUntil,
  writeJoinTokenFile,
  type ExitStatus,
  type IstiodOptions,
  type IstiodProcess,
  type SidecarProcess,
} from '@mesh/launcher';
import { formatSpiffeId, type SpiffeIdentity } from '@mesh/pki';

import { restoreAppliedSet } from './applied-config.js';
import { prepareConfigDir } from './config-dir.js';
import { accepting, freeLoopbackBlock, freePort } from './loopback-ports.js';
import type { LocalMesh, LocalWorkload } from './mesh-file.js';
import { earlierMeshStillRuns, stateDirMark } from './mesh-processes.js';
import { enableForwarding, freePodSubnets, hostsFile, meshTag, PodNetwork } from './pod-network.js';
import { endRun, explicitTokenDir, transparentTokenDir } from './run-credentials.js';
import { writeRunState, type InstanceState, type RunState } from './run-state.js';
import { privateDir } from './state-dir.js';

/**
 * A local mesh, running: istiod on the state directory (its CA, its config directory), then every
 * workload instance — its app, told where to listen by `HOST` and `PORT`, and its sidecar. In explicit
 * mode each instance has its own loopback address (127.0.10.x, or the next free 127.0.<n>.x block when
 * another mesh runs): the sidecar owns the app's ports there
 * and forwards to where the app really listens, and the app reaches services through the sidecar's
 * forward proxy (the standard proxy variables).
 */

export interface UpOptions {
  stateDir: string;
  meshFile: string;
  /** Network namespaces and iptables capture (root) instead of loopback addresses and proxy variables. */
  transparent?: boolean;
  istiodPorts?: { xds: number; secureXds: number; monitoring: number };
  progress: (line: string) => void;
}

/** The proxy environment an app in explicit mode gets: what curl, Node, Python, Go and gRPC read. */
export function explicitProxyEnv(address: string): Record<string, string> {
  const proxy = `http://${address}:15001`;
  return {
    http_proxy: proxy,
    HTTP_PROXY: proxy,
    grpc_proxy: proxy,
    NODE_USE_ENV_PROXY: '1',
    no_proxy: 'localhost',
    NO_PROXY: 'localhost',
  };
}

/** The uid the sidecar runs as in transparent mode; the capture rules let its own traffic through. */
const PROXY_UID = 1337;

/** `node` in a workload's command is this Node (the pinned one), wherever the command then runs. */
function withNode(argv: readonly string[]): string[] {
  return argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : [...argv];
}

/** Every instance's processes: its app, and its sidecar unless it runs without one. */
interface InstanceProcesses {
  state: InstanceState;
  app: ManagedProcess;
  sidecar?: SidecarProcess;
  /** Starts the sidecar again, on the same address and ports (the capture rules stay in place). */
  restartSidecar?: () => Promise<SidecarProcess>;
  /** The wait before the next restart: Kubernetes' CrashLoopBackOff, shorter (1 s doubling to 30 s). */
  backoffMs: number;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A sidecar that ran this long before dying is restarted after the first backoff again. */
const BACKOFF_RESET_MS = 60_000;

export class LocalMeshRuntime {
  readonly #instances = new Map<string, InstanceProcesses>();
  #stopping = false;
  readonly #pods: PodNetwork[] = [];
  #restoreForwarding: (() => void) | undefined;

  private constructor(
    readonly state: RunState,
    private readonly stateDir: string,
    /** How istiod is started, and restarted on the same ports. */
    private readonly istiodOptions: IstiodOptions,
    private istiod: IstiodProcess,
  ) {}

  static async up(mesh: LocalMesh, options: UpOptions): Promise<LocalMeshRuntime> {
    const { stateDir, progress } = options;
    const earlier = earlierMeshStillRuns(stateDir);
    if (earlier) throw new Error(earlier);
    // Owner-only: keys, tokens, the copied config (Secrets among it), logs and the run state.
    privateDir(stateDir);
    const logs = privateDir(join(stateDir, 'logs'));
    const configDir = join(stateDir, 'config');
    const services = prepareConfigDir(configDir, mesh.config);
    progress(`config: ${services.length} services from ${mesh.config.length} path(s) into ${configDir}`);
    restoreAppliedSet(stateDir, configDir); // what `local apply` added, until `local delete` (up says what)

    const transparent = options.transparent === true;
    if (transparent && process.getuid?.() !== 0)
      throw new Error('--transparent needs root (network namespaces and iptables)');
    const ports = options.istiodPorts ?? { xds: 0, secureXds: 0, monitoring: 0 };
    const istiodLog = join(logs, 'istiod.log');
    const istiodOptions: IstiodOptions = {
      configDir,
      stateDir,
      // Pods reach istiod through their host address; in explicit mode it stays on loopback.
      listenAddress: transparent ? '0.0.0.0' : '127.0.0.1',
      xdsPort: ports.xds,
      secureXdsPort: ports.secureXds,
      monitoringPort: ports.monitoring,
      trustDomain: mesh.trustDomain,
      pushDebounceMs: 50,
    };
    const istiod = startIstiod(istiodOptions, {
      cwd: stateDir,
      env: { ...process.env, ...stateDirMark(stateDir) },
      logs: { file: istiodLog },
    });
    const istiodPorts = await istiod.ready;
    progress(
      `istiod: serving mTLS xDS and the CA on 127.0.0.1:${istiodPorts.secureXdsPort}, config-only xDS on 127.0.0.1:${istiodPorts.xdsPort} (log ${istiodLog})`,
    );
    const state: RunState = {
      mesh: mesh.name,
      meshFile: options.meshFile,
      mode: transparent ? 'transparent' : 'explicit',
      supervisorPid: process.pid,
      startedAt: new Date().toISOString(),
      ready: false,
      configDir,
      istiod: { ...istiodPorts, ...(istiod.pid ? { pid: istiod.pid } : {}), log: istiodLog },
      instances: [],
    };
    // Restarts keep the ports the sidecars know.
    const runtime = new LocalMeshRuntime(
      state,
      stateDir,
      {
        ...istiodOptions,
        xdsPort: istiodPorts.xdsPort,
        secureXdsPort: istiodPorts.secureXdsPort,
        monitoringPort: istiodPorts.monitoringPort,
      },
      istiod,
    );
    try {
      if (transparent) runtime.#restoreForwarding = enableForwarding();
      const instances = mesh.workloads.reduce((n, w) => n + w.replicas, 0);
      const block = transparent ? '' : await freeLoopbackBlock(instances);
      const podBase = transparent ? freePodSubnets(instances) : 0;
      const tag = meshTag(stateDir);
      let next = 1;
      for (const workload of mesh.workloads)
        for (let replica = 0; replica < workload.replicas; replica++) {
          const index = next++;
          let pod: PodNetwork | undefined;
          if (transparent) {
            pod = new PodNetwork(tag, index, podBase + index);
            runtime.#pods.push(pod);
            pod.create(hostsFile(services, workload.namespace, mesh.trustDomain));
          }
          state.instances.push(
            await runtime.#startInstance(mesh, workload, replica, pod ?? `${block}.${index}`, progress),
          );
        }
      for (const instance of state.instances) await runtime.#waitReady(instance);
      state.ready = true;
      writeRunState(stateDir, state);
      progress(`ready: ${state.instances.length} workload instance(s)`);
      return runtime;
    } catch (err) {
      await runtime.down();
      throw err;
    }
  }

  async #startInstance(
    mesh: LocalMesh,
    workload: LocalWorkload,
    replica: number,
    placement: string | PodNetwork,
    progress: (line: string) => void,
  ): Promise<InstanceState> {
    const pod = typeof placement === 'string' ? undefined : placement;
    const address = pod ? pod.podIp : (placement as string);
    const instance = `${workload.name}-${replica}`;
    const identity = {
      trustDomain: mesh.trustDomain,
      namespace: workload.namespace,
      serviceAccount: workload.serviceAccount,
    };
    const logs = join(this.stateDir, 'logs');
    const appPorts: Record<string, number> = {};
    // Explicit mode: the sidecar owns the app's ports on its address, so the app listens elsewhere.
    for (const port of workload.ports)
      appPorts[String(port)] = workload.sidecar && !pod ? await freePort(address) : port;
    const firstPort = workload.ports[0];
    const env: Record<string, string> = {
      ...workload.env,
      HOST: pod ? '0.0.0.0' : address,
      ...(firstPort === undefined ? {} : { PORT: String(appPorts[String(firstPort)]) }),
      ...Object.fromEntries(workload.ports.map((p) => [`PORT_${p}`, String(appPorts[String(p)])])),
      WORKLOAD_NAME: workload.name,
      POD_NAME: instance,
      POD_NAMESPACE: workload.namespace,
      ...(workload.sidecar && !pod ? explicitProxyEnv(address) : {}),
    };
    const command = withNode(workload.command);
    const appLog = join(logs, `${instance}.log`);
    const app = new ManagedProcess({
      name: instance,
      argv: pod ? pod.wrap(command) : command,
      cwd: mesh.baseDir,
      env: { ...process.env, ...env, ...stateDirMark(this.stateDir) },
      logs: { file: appLog },
    });
    const state: InstanceState = {
      instance,
      workload: workload.name,
      namespace: workload.namespace,
      serviceAccount: workload.serviceAccount,
      identity: formatSpiffeId(identity),
      labels: workload.labels,
      address,
      ports: workload.ports,
      appPorts,
      sidecar: workload.sidecar,
      env,
      ...(pod ? { netns: pod.namespace } : {}),
      ...(app.pid ? { appPid: app.pid } : {}),
      logs: { app: appLog },
    };
    const processes: InstanceProcesses = { state, app, backoffMs: FIRST_BACKOFF_MS };
    this.#instances.set(instance, processes);
    if (workload.sidecar) {
      const proxyLog = join(logs, `${instance}.proxy.log`);
      state.logs.proxy = proxyLog;
      const start = (restart: boolean) =>
        this.#startSidecar(workload, instance, placement, appPorts, identity, proxyLog, restart);
      processes.sidecar = await start(false);
      processes.restartSidecar = () => start(true);
      if (processes.sidecar.pid) state.proxyPid = processes.sidecar.pid;
    }
    progress(
      `${instance}: app${workload.sidecar ? ' and sidecar' : ' (no sidecar)'} on ${address}, identity ${state.identity}`,
    );
    return state;
  }

  async #startSidecar(
    workload: LocalWorkload,
    instance: string,
    placement: string | PodNetwork,
    appPorts: Record<string, number>,
    identity: SpiffeIdentity,
    logFile: string,
    restart: boolean,
  ): Promise<SidecarProcess> {
    const pod = typeof placement === 'string' ? undefined : placement;
    // In a pod the proxy runs as uid 1337, which may not traverse the state directory: its token
    // then lives in a directory of its own that it can reach (and only it can read the file).
    const tokenDir = pod ? transparentTokenDir(this.stateDir) : explicitTokenDir(this.stateDir);
    if (pod) mkdirSync(tokenDir, { recursive: true, mode: 0o711 });
    else privateDir(tokenDir);
    const tokenFile = await writeJoinTokenFile(
      this.stateDir,
      identity,
      join(tokenDir, `${instance}.token`),
      DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS,
    );
    // istiod's root, so the first certificate request knows it talks to istiod (the CA answers only
    // over TLS). It is public: a pod gets a copy beside its token, readable by uid 1337 (istiod keeps
    // its own copy 0600, and a copy keeps the mode).
    let rootCert = istiodRootCert(this.istiodOptions);
    if (pod) {
      const copy = join(tokenDir, 'root-cert.pem');
      copyFileSync(rootCert, copy);
      chmodSync(copy, 0o644);
      rootCert = copy;
      chownSync(tokenFile, PROXY_UID, PROXY_UID);
    }
    // What Istio's init container does (once per pod), then the proxy runs as the uid the rules exclude.
    if (pod && !restart) {
      const iptables = [
        process.execPath,
        meshBinary('mesh-proxy'),
        'istio-iptables',
        '-u',
        String(PROXY_UID),
      ];
      const rules = spawnSync('ip', ['netns', 'exec', pod.namespace, ...iptables], {
        encoding: 'utf8',
        timeout: 15_000,
      });
      if (rules.status !== 0) throw new Error(`${instance}: istio-iptables failed: ${rules.stderr.trim()}`);
    }
    const address = pod ? pod.podIp : (placement as string);
    const inbound = Object.fromEntries(
      Object.entries(appPorts).map(([port, appPort]) => [port, { host: address, port: appPort }]),
    );
    return startSidecar(
      {
        podName: instance,
        namespace: workload.namespace,
        serviceAccount: workload.serviceAccount,
        instanceIp: address,
        labels: workload.labels,
        trustDomain: identity.trustDomain,
        // xDS, the CA and renewals all go to istiod's TLS port: endpoints register only over mTLS.
        istiodAddress: secureXdsAddress(pod ? pod.hostIp : '127.0.0.1', this.state.istiod),
        caRootCert: rootCert,
        tokenFile,
        capture: pod ? { mode: 'transparent' } : { mode: 'explicit', inbound },
        drainMs: 1000,
      },
      {
        name: `${instance}.proxy`,
        cwd: this.stateDir,
        env: { ...process.env, ISTIO_META_WORKLOAD_NAME: workload.name, ...stateDirMark(this.stateDir) },
        logs: { file: logFile },
        // Apps start beside it and are waited for first; a sidecar's own start takes seconds.
        readyTimeoutMs: 60_000,
        ...(pod ? { wrap: (argv) => pod.wrap(argv, { uid: PROXY_UID, gid: PROXY_UID }) } : {}),
      },
    );
  }

  /**
   * The sidecar first: it says at once why it cannot start, and in a pod the app's ports are reached
   * through it (iptables sends them to its inbound listener). An app that exits meanwhile, or could not
   * be started at all (EACCES, a missing interpreter), is reported at once with its exit and the last
   * line it printed, not once the sidecar is ready or the port wait is over.
   */
  async #waitReady(instance: InstanceState): Promise<void> {
    const { app, sidecar } = this.#instances.get(instance.instance) ?? {};
    let exit: ExitStatus | undefined;
    const exited = app?.exited.then((status) => (exit = status));
    const appExited = (where: string) => {
      if (exit === undefined || !app) return;
      const last = app.spawnError ?? app.logs.tail(1)[0];
      throw new Error(
        `${instance.instance}: the app exited with ${describeExit(exit)} ${where}${last ? `: ${last}` : ''}; ` +
          `see ${instance.logs.app}`,
      );
    };
    const ports = await Promise.race([sidecar?.ready, exited?.then(() => undefined)]);
    appExited('before its sidecar was ready');
    // Explicit-mode sidecars share 127.0.0.1, so each has the admin port it reports.
    if (ports) instance.adminPort = ports.adminPort;
    for (const port of Object.values(instance.appPorts)) {
      await waitUntil(
        async () => exit !== undefined || (await accepting(instance.address, port)),
        30_000,
        () =>
          `${instance.instance}: the app does not listen on ${instance.address}:${port}; see ${instance.logs.app}`,
      );
      appExited(`before listening on ${instance.address}:${port}`);
    }
  }

  /**
   * Stops every process this runtime started (apps and sidecars first, istiod last), removes the pods,
   * then ends the run's credentials (run-credentials.ts): the join tokens were for this run only.
   */
  async down(): Promise<void> {
    this.#stopping = true;
    await stopAll([...this.#instances.values()].flatMap((p) => (p.sidecar ? [p.app, p.sidecar] : [p.app])));
    await this.istiod.stop();
    for (const pod of this.#pods) pod.destroy();
    this.#restoreForwarding?.();
    endRun(this.stateDir);
  }

  /**
   * What the platform does when a process dies, as Kubernetes would: istiod is restarted on the same
   * ports (sidecars keep serving their last config meanwhile, then reconnect); an app that exits takes
   * its sidecar down with it, so the instance leaves every load balancer (its endpoint goes when its
   * proxy disconnects), like a pod failing its readiness probe; a sidecar that dies beside a running
   * app is restarted with backoff, as the agent restarts Envoy, and counted (`restarts` in run.json).
   */
  supervise(progress: (line: string) => void): void {
    this.#superviseIstiod(progress);
    for (const [instance, processes] of this.#instances) {
      void processes.app.exited.then(({ code, signal }) => {
        if (this.#stopping) return;
        progress(`${instance}: the app exited (${signal ?? `code ${code}`}); stopping its sidecar`);
        // Nothing is left to drain: the sidecar goes at once, and with it the endpoint.
        void processes.sidecar?.stop({ signal: 'SIGKILL' });
      });
      this.#superviseSidecar(processes, progress);
    }
  }

  #superviseSidecar(processes: InstanceProcesses, progress: (line: string) => void): void {
    const { sidecar, state } = processes;
    if (!sidecar) return;
    const startedAt = Date.now();
    void sidecar.exited.then(({ code, signal }) => {
      if (this.#stopping || !processes.app.running) return;
      const backoff = Date.now() - startedAt >= BACKOFF_RESET_MS ? FIRST_BACKOFF_MS : processes.backoffMs;
      processes.backoffMs = Math.min(backoff * 2, MAX_BACKOFF_MS);
      state.restarts = (state.restarts ?? 0) + 1;
      writeRunState(this.stateDir, this.state);
      progress(
        `${state.instance}: the sidecar exited (${signal ?? `code ${code}`}); restarting it in ${backoff / 1000} s (restart ${state.restarts}, log ${state.logs.proxy})`,
      );
      setTimeout(() => void this.#restartSidecar(processes, progress), backoff);
    });
  }

  async #restartSidecar(processes: InstanceProcesses, progress: (line: string) => void): Promise<void> {
    const { state } = processes;
    if (this.#stopping || !processes.app.running || !processes.restartSidecar) return;
    let sidecar: SidecarProcess;
    try {
      sidecar = await processes.restartSidecar();
    } catch (err) {
      progress(`${state.instance}: the sidecar could not be restarted (${(err as Error).message})`);
      return;
    }
    processes.sidecar = sidecar;
    if (this.#stopping) return void sidecar.stop();
    if (sidecar.pid) state.proxyPid = sidecar.pid;
    // Watched from its start: one that dies before it is ready is restarted after the next backoff.
    this.#superviseSidecar(processes, progress);
    try {
      const ports = await sidecar.ready;
      state.adminPort = ports.adminPort;
      writeRunState(this.stateDir, this.state);
      progress(`${state.instance}: sidecar restarted, ready (restart ${state.restarts})`);
    } catch (err) {
      progress(`${state.instance}: the restarted sidecar did not become ready (${(err as Error).message})`);
    }
  }

  #superviseIstiod(progress: (line: string) => void): void {
    void this.istiod.exited.then(({ code, signal }) => {
      if (this.#stopping) return;
      progress(
        `istiod exited (${signal ?? `code ${code}`}); restarting it, sidecars serve their last config meanwhile`,
      );
      setTimeout(() => void this.#restartIstiod(progress), 1000);
    });
  }

  async #restartIstiod(progress: (line: string) => void): Promise<void> {
    if (this.#stopping) return;
    try {
      const restarted = startIstiod(this.istiodOptions, {
        cwd: this.stateDir,
        env: { ...process.env, ...stateDirMark(this.stateDir) },
        logs: { file: this.state.istiod.log },
      });
      const ports = await restarted.ready;
      this.istiod = restarted;
      if (restarted.pid) this.state.istiod.pid = restarted.pid;
      writeRunState(this.stateDir, this.state);
      progress(`istiod: restarted on 127.0.0.1:${ports.secureXdsPort}`);
      this.#superviseIstiod(progress);
    } catch (err) {
      progress(`istiod: restart failed (${(err as Error).message}); retrying`);
      setTimeout(() => void this.#restartIstiod(progress), 2000);
    }
  }
}
