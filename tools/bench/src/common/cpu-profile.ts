import { mkdir, writeFile } from 'node:fs/promises';
import { Session, type Profiler } from 'node:inspector/promises';
import { dirname } from 'node:path';

/**
 * CPU profiling of one measured window (e.g. just the full push), in-process through the inspector.
 * `node --cpu-prof` would profile the whole run, mixing start-up and connection set-up into the
 * numbers that matter. Profiles are written as .cpuprofile (open in Chrome DevTools or VS Code).
 */
export class WindowProfiler {
  private session?: Session;

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    this.session = session;
  }

  /** Stops, writes the profile to `path` and returns it. */
  async stop(path: string): Promise<Profiler.Profile> {
    const session = this.session;
    if (!session) throw new Error('profiler not started');
    this.session = undefined;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(profile));
    return profile;
  }
}

export interface ProfileShare {
  label: string;
  ms: number;
  percent: number;
}

/**
 * Self time grouped by where the code lives (package and file, or the VM's own categories), so a
 * profile reads as "GC 23%, protobufjs reader 9%, validation 6%" rather than thousands of frames.
 */
export function summarizeProfile(
  profile: Profiler.Profile,
  top = 10,
): { totalMs: number; shares: ProfileShare[] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    const node = nodes.get(id);
    const dt = deltas[i] ?? 0;
    if (!node) return;
    const label = locationLabel(node.callFrame);
    // The profiler's own Profiler.start/stop calls are sampled too; they are not the workload.
    if (label === 'node inspector') return;
    totalUs += dt;
    selfUs.set(label, (selfUs.get(label) ?? 0) + dt);
  });
  const shares = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, us]) => ({ label, ms: us / 1000, percent: totalUs > 0 ? (100 * us) / totalUs : 0 }));
  return { totalMs: totalUs / 1000, shares };
}

/** `protobufjs reader.js`, `@mesh/xds server/delta-stream.js`, `node http2/core`, `(garbage collector)`. */
function locationLabel(frame: Profiler.ProfileNode['callFrame']): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') {
    // protobufjs compiles its per-type encoders/decoders with `new Function`: they have no URL.
    return frame.functionName.startsWith('(') ? frame.functionName : 'protobufjs generated codecs';
  }
  if (url.startsWith('node:')) return `node ${url.replace(/^node:(internal\/)?/, '')}`;
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + '/node_modules/'.length).split('/');
    const pkgLength = parts[0]?.startsWith('@') ? 2 : 1;
    const pkg = parts.slice(0, pkgLength).join('/');
    return `${pkg} ${parts.at(-1)}`;
  }
  const dist = url.match(/\/(libs|apps|tools)\/([^/]+)\/dist\/(.*)$/);
  if (dist) return `@mesh/${dist[2]} ${dist[3]}`;
  return url.split('/').slice(-2).join('/');
}

export function formatShares(shares: readonly ProfileShare[]): string {
  return shares.map((s) => `${s.percent.toFixed(1).padStart(5)}%  ${s.label}`).join('\n');
}
