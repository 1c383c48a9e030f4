import { MemoryResourceSource, startAdsServer, TypeUrl, type RunningAdsServer } from '@mesh/xds';

import { MiB, withTimeout } from '../common/bench-report.js';
import { summarizeProfile, WindowProfiler, type ProfileShare } from '../common/cpu-profile.js';
import { AckTracker } from './ack-tracker.js';
import {
  benchCluster,
  benchLoadAssignment,
  clusterName,
  resourceName,
  type FleetClientKind,
  type XdsProtocol,
} from './fleet-contract.js';
import { FleetProcess } from './fleet-process.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;

/** The numbers of one (protocol, client count) run; durations in ms, sizes in bytes, CPU in ms. */
export interface RunResult {
  protocol: XdsProtocol;
  clientKind: FleetClientKind;
  clients: number;
  connectMs: number;
  fullPush: { sentMs: number; ackedMs: number; serverCpuMs: number; clientCpuMs: number };
  singleChange: { sentMs: number; ackedMs: number };
  serverRss: number;
  clientRss: number;
  /** With --profile: where each process spent the full push. */
  fullPushProfile?: { server: ProfileSummary; clients: ProfileSummary };
}

export interface ProfileSummary {
  totalMs: number;
  shares: ProfileShare[];
}

export interface XdsBenchServerOptions {
  clusters: number;
  timeoutMs: number;
  /** Write CPU profiles of every full push (both processes) here. */
  profileDir?: string;
}

/**
 * The benchmark's server side: one ADS server over a MemoryResourceSource holding `clusters` EDS
 * clusters and as many load assignments, kept for the whole benchmark. Each run forks a fresh client
 * fleet, measures the three scenarios against it and stops it. Every change bumps a generation number
 * that the fleet can check, so a run is only reported if the clients really hold what was pushed.
 */
export class XdsBenchServer {
  private readonly tracker = new AckTracker();
  private readonly source = new MemoryResourceSource(resourceName);
  private readonly names: string[];
  private readonly clusterGens: number[];
  private readonly claGens: number[];
  private generation = 0;
  private server?: RunningAdsServer;

  constructor(private readonly options: XdsBenchServerOptions) {
    this.names = Array.from({ length: options.clusters }, (_, i) => clusterName(i));
    this.clusterGens = this.names.map(() => 0);
    this.claGens = this.names.map(() => 0);
  }

  async start(): Promise<void> {
    this.setClusters(this.names.map((_, i) => i));
    this.setLoadAssignments(this.names.map((_, i) => i));
    this.server = await startAdsServer({ source: this.source, hooks: this.tracker.hooks });
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  async run(protocol: XdsProtocol, clients: number, clientKind: FleetClientKind): Promise<RunResult> {
    const server = this.server;
    if (!server) throw new Error('start() the bench server first');
    const fleet = await withTimeout(
      FleetProcess.start(),
      this.options.timeoutMs,
      'starting the client fleet',
    );
    // A NACK or lost stream in the fleet makes the current measurement meaningless: end it now.
    fleet.watchProblems((message) => this.tracker.abort(`client fleet: ${message}`));
    try {
      // 1. Initial connect: until every client holds everything (and the server has all the ACKs,
      //    so the next scenario starts from a quiet system).
      const synced = fleet.next('synced');
      const connect = this.tracker.measure([CDS, EDS], clients, () =>
        fleet.send({
          kind: 'connect',
          target: `127.0.0.1:${server.port}`,
          clients,
          protocol,
          client: clientKind,
          clusterNames: this.names,
        }),
      );
      const [{ elapsedMs: connectMs }] = await this.bounded(
        Promise.all([synced, connect]),
        'initial connect',
      );
      if (server.ads.connectionCount !== clients)
        throw new Error(`expected ${clients} connections, the server has ${server.ads.connectionCount}`);
      const serverRss = process.memoryUsage().rss;
      const clientBefore = await fleet.request({ kind: 'stats' }, 'stats');

      // 2. Full push: every cluster and every load assignment changes. Encoding the new resources
      //    (once, shared by all streams) happens in source.set, before the clock starts.
      this.generation++;
      const all = this.names.map((_, i) => i);
      const changes = [
        { typeUrl: CDS, names: this.setClusters(all) },
        { typeUrl: EDS, names: this.setLoadAssignments(all) },
      ];
      const profiler = this.options.profileDir ? await this.startProfiles(fleet) : undefined;
      const serverCpu = process.cpuUsage();
      const full = await this.bounded(
        this.tracker.measure([CDS, EDS], clients, () => server.ads.push(changes)),
        'full push',
      );
      const serverCpuMs = cpuMs(process.cpuUsage(serverCpu));
      const clientAfter = await fleet.request({ kind: 'stats' }, 'stats');
      const fullPushProfile =
        profiler && (await this.stopProfiles(profiler, fleet, `${protocol}-${clientKind}-${clients}`));
      await this.verify(fleet, 'full push');

      // 3. Single change: one cluster. Delta sends it alone; SotW resends the whole (full-state) CDS set.
      this.generation++;
      const changed = this.setClusters([0]);
      const single = await this.bounded(
        this.tracker.measure([CDS], clients, () => server.ads.push({ typeUrl: CDS, names: changed })),
        'single change',
      );
      await this.verify(fleet, 'single change');
      if (fleet.problems.length > 0) throw new Error(`client fleet: ${fleet.problems.join('; ')}`);

      return {
        protocol,
        clientKind,
        clients,
        connectMs,
        fullPush: {
          sentMs: full.lastSentMs,
          ackedMs: full.allAckedMs,
          serverCpuMs,
          clientCpuMs:
            clientAfter.cpuUserMs +
            clientAfter.cpuSystemMs -
            clientBefore.cpuUserMs -
            clientBefore.cpuSystemMs,
        },
        singleChange: { sentMs: single.lastSentMs, ackedMs: single.allAckedMs },
        serverRss,
        clientRss: clientBefore.rssBytes,
        fullPushProfile,
      };
    } finally {
      fleet.watchProblems(undefined);
      await fleet.stop();
      await this.waitForDisconnects();
    }
  }

  private bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    return withTimeout(promise, this.options.timeoutMs, what, () => this.tracker.progress()).catch(
      (err: unknown) => {
        this.tracker.abort(String(err));
        throw err;
      },
    );
  }

  private async startProfiles(fleet: FleetProcess): Promise<WindowProfiler> {
    const profiler = new WindowProfiler();
    await Promise.all([profiler.start(), fleet.request({ kind: 'profile-start' }, 'profile-started')]);
    return profiler;
  }

  /** Writes xds-<run>-full-push-{server,clients}.cpuprofile and returns both summaries. */
  private async stopProfiles(
    profiler: WindowProfiler,
    fleet: FleetProcess,
    run: string,
  ): Promise<{ server: ProfileSummary; clients: ProfileSummary }> {
    const path = (side: string) => `${this.options.profileDir}/xds-${run}-full-push-${side}.cpuprofile`;
    const [serverProfile, clients] = await Promise.all([
      profiler.stop(path('server')),
      fleet.request({ kind: 'profile-stop', path: path('clients') }, 'profile-stopped'),
    ]);
    return { server: summarizeProfile(serverProfile), clients };
  }

  /** Sets clusters `indexes` to the current generation; returns the names that changed. */
  private setClusters(indexes: readonly number[]): string[] {
    for (const i of indexes) this.clusterGens[i] = this.generation;
    return this.source.set(
      CDS,
      indexes.map((i) => benchCluster(this.names[i] as string, this.generation)),
    );
  }

  private setLoadAssignments(indexes: readonly number[]): string[] {
    for (const i of indexes) this.claGens[i] = this.generation;
    return this.source.set(
      EDS,
      indexes.map((i) => benchLoadAssignment(this.names[i] as string, i, this.generation)),
    );
  }

  /** Not timed: every client must hold exactly the generations last pushed. */
  private async verify(fleet: FleetProcess, after: string): Promise<void> {
    const result = await this.bounded(
      fleet.request(
        { kind: 'verify', clusterGenerations: this.clusterGens, loadAssignmentGenerations: this.claGens },
        'verified',
      ),
      `verification after ${after}`,
    );
    if (result.checked && result.mismatches > 0)
      throw new Error(
        `after ${after}, ${result.mismatches} resources differ from what was pushed, e.g. ${result.example}`,
      );
  }

  /** The next run must start with no streams left from this one. */
  private async waitForDisconnects(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((this.server?.ads.connectionCount ?? 0) > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

export const toMiB = (bytes: number): number => bytes / MiB;
