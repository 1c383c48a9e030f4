import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { meshBinary } from '@mesh/launcher';

import {
  describeMachine,
  fmt,
  machineFacts,
  markdownTable,
  positiveInteger,
} from '../common/bench-report.js';
import { median, timeCommand } from './command-timing.js';

export const CLI_USAGE =
  'cli [--runs 20]                       meshctl start-up (--version, validate, local status, local exec) against node -e 0';

/** The start-up goal of issue 13: commands a user or a script runs often answer within this. */
const GOAL_MS = 300;

const VIRTUAL_SERVICE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
    - route: [{ destination: { host: reviews, subset: v1 } }]
`;

/** One meshed workload that only idles: what `local status` and `local exec` need, started quickly. */
const MESH = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: cli-bench }
spec:
  workloads:
    - name: client
      labels: { app: client }
      command: [node, -e, 'setInterval(() => undefined, 1 << 30)']
`;

interface Scenario {
  name: string;
  argv: string[];
  expectedCode?: number;
  /** Held to GOAL_MS. */
  goal?: boolean;
}

/** meshctl as `npx meshctl` runs it: its installed bin, on this (the pinned) Node. */
function meshctl(...args: string[]): string[] {
  return [process.execPath, meshBinary('meshctl'), ...args];
}

function runMeshctl(args: string[]): void {
  const [node, ...argv] = meshctl(...args) as [string, ...string[]];
  const result = spawnSync(node, argv, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0)
    throw new Error(`meshctl ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

export async function runCliBench(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '20' } } });
  const runs = positiveInteger(values.runs) ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const noMesh = join(dir, 'no-mesh');
  const running = join(dir, 'state');
  mkdirSync(noMesh);
  writeFileSync(join(dir, 'vs.yaml'), VIRTUAL_SERVICE);
  writeFileSync(join(dir, 'mesh.yaml'), MESH);
  const scenarios: Scenario[] = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'meshctl --version', argv: meshctl('--version'), goal: true },
    { name: 'meshctl validate -f vs.yaml', argv: meshctl('validate', '-f', join(dir, 'vs.yaml')) },
    {
      name: 'meshctl local status (no mesh)',
      argv: meshctl('local', 'status', '--state-dir', noMesh),
      expectedCode: 3,
      goal: true,
    },
    {
      name: 'meshctl local status (1 workload)',
      argv: meshctl('local', 'status', '--state-dir', running),
      goal: true,
    },
    {
      name: 'meshctl local exec client -- true',
      argv: meshctl('local', 'exec', 'client', '--state-dir', running, '--', 'true'),
    },
  ];

  const loadAtStart = loadavg()[0] as number;
  console.log(
    `meshctl start-up on ${describeMachine(machineFacts())}; ${runs} runs each, after 2 warm-up runs`,
  );
  runMeshctl([
    'local',
    'up',
    '-f',
    join(dir, 'mesh.yaml'),
    '--state-dir',
    running,
    '--xds-port',
    '0',
    '--detach',
  ]);
  const rows = [];
  try {
    let baselineMs = 0;
    for (const scenario of scenarios) {
      const options = { expectedCode: scenario.expectedCode ?? 0 };
      for (let i = 0; i < 2; i++) timeCommand(scenario.argv, options);
      const measured = Array.from({ length: runs }, () => timeCommand(scenario.argv, options));
      const wallMs = median(measured.map((m) => m.wallMs));
      const cpu = measured.map((m) => m.cpuMs).filter((ms) => ms !== undefined);
      if (baselineMs === 0) baselineMs = wallMs;
      rows.push([
        scenario.name,
        fmt(wallMs),
        cpu.length > 0 ? fmt(median(cpu)) : undefined,
        fmt(wallMs / baselineMs, 1),
        scenario.goal ? `≤ ${GOAL_MS} ms: ${wallMs <= GOAL_MS ? 'met' : 'missed'}` : '',
      ]);
    }
  } finally {
    runMeshctl(['local', 'down', '--state-dir', running]);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    markdownTable(['command', 'median wall (ms)', 'median CPU (ms)', 'wall / node -e 0', 'goal'], rows),
  );
  console.log(`\nLoad average (1 min): ${fmt(loadAtStart, 2)} at start, ${fmt(loadavg()[0], 2)} at end`);
  return 0;
}
