#!/usr/bin/env node
/**
 * `npm run bench -- <benchmark> [flags]`: one entry point for the mesh's benchmarks, one module each.
 * Benchmarks return an exit code; the process then exits explicitly, because gRPC and child-process
 * handles may otherwise keep it alive after the report is printed.
 */
import { CA_USAGE, runCaBench } from './ca/ca-bench.js';
import { CLI_USAGE, runCliBench } from './cli/cli-bench.js';
import { ISTIOD_USAGE, runIstiodBench } from './istiod/istiod-bench.js';
import { PROXY_USAGE, runProxyBench } from './proxy/proxy-bench.js';
import { runSidecarBench, SIDECAR_USAGE } from './sidecar/sidecar-bench.js';
import { runXdsBench, XDS_USAGE } from './xds/xds-bench.js';

type Benchmark = (args: string[]) => Promise<number>;

const BENCHMARKS: Record<string, { run: Benchmark; usage: string }> = {
  xds: { run: runXdsBench, usage: XDS_USAGE },
  ca: { run: runCaBench, usage: CA_USAGE },
  istiod: { run: runIstiodBench, usage: ISTIOD_USAGE },
  sidecar: { run: runSidecarBench, usage: SIDECAR_USAGE },
  proxy: { run: runProxyBench, usage: PROXY_USAGE },
  cli: { run: runCliBench, usage: CLI_USAGE },
};

function usage(): string {
  const lines = Object.values(BENCHMARKS).map((b) => `  ${b.usage}`);
  return `usage: npm run bench -- <benchmark> [flags]\n\nbenchmarks:\n${lines.join('\n')}`;
}

// Ctrl-C: exit through process.exit so 'exit' handlers kill the client fleets.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const [name, ...args] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : BENCHMARKS[name];
if (name === '--help' || name === '-h') {
  console.log(usage());
  process.exit(0);
}
if (!benchmark) {
  if (name !== undefined) console.error(`unknown benchmark "${name}"\n`);
  console.error(usage());
  process.exit(2);
}

if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench -- ${benchmark.usage}`);
  process.exit(0);
}

try {
  process.exit(await benchmark.run(args));
} catch (err) {
  console.error(err);
  process.exit(1);
}
