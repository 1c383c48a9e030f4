import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { MeshSnapshot } from '@mesh/registry';
import {
  buildSidecarContext,
  generateSidecar,
  prepareResource,
  resourceTypeFor,
  sidecarProxyOf,
  SidecarServingCache,
  TypeUrl,
  type XdsConnection,
} from '@mesh/xds';

import {
  describeMachine,
  fmt,
  machineFacts,
  markdownTable,
  parseList,
  positiveInteger,
} from '../common/bench-report.js';
import { NAMESPACE, writeMesh } from '../istiod/mesh-config.js';

export const SIDECAR_USAGE =
  'sidecar [--proxies 10,100] [--services 1000]\n' +
  '                                      sidecar CDS+LDS+RDS for N proxies in one namespace: per proxy vs shared per scope';

/** What a sidecar asks for after connecting: every cluster and listener, then the routes they name. */
const TYPES = [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.RouteConfiguration] as const;

function sidecarConnection(p: number): XdsConnection {
  const ip = `10.250.${(p >> 8) & 255}.${p & 255}`;
  return {
    id: `client-${p}`,
    mode: 'sotw',
    peer: 'bench',
    connectedAt: new Date(),
    node: {
      id: `sidecar~${ip}~client-${p}.${NAMESPACE}~${NAMESPACE}.svc.cluster.local`,
      cluster: '',
      metadata: { NAMESPACE, LABELS: { app: 'client' }, INSTANCE_IPS: ip, SERVICE_ACCOUNT: 'client' },
    },
  };
}

/** The baseline: every proxy's config generated and encoded for it alone. Returns bytes encoded. */
function perProxy(snapshot: MeshSnapshot, connection: XdsConnection): number {
  const ctx = buildSidecarContext(snapshot, sidecarProxyOf(connection.node));
  let bytes = 0;
  for (const typeUrl of TYPES) {
    const type = resourceTypeFor(typeUrl);
    if (!type) throw new Error(`no codec for ${typeUrl}`);
    for (const resource of generateSidecar(ctx, { typeUrl, wildcard: true, names: new Set() }))
      bytes += prepareResource(typeUrl, type.nameOf(resource as never), resource).any.value.length;
  }
  return bytes;
}

/** What istiod serves from: the serving cache shares what depends only on the proxy's scope. */
function shared(source: SidecarServingCache, connection: XdsConnection): number {
  let bytes = 0;
  for (const typeUrl of TYPES)
    for (const r of source.resources({ connection, typeUrl, wildcard: true, names: new Set() }))
      bytes += r.any.value.length;
  return bytes;
}

function timeMs(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function runSidecarBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { proxies: { type: 'string' }, services: { type: 'string', default: '1000' } },
  });
  const counts = parseList(values.proxies, [10, 100], positiveInteger, 'proxies');
  const services = positiveInteger(values.services ?? '');
  if (services === undefined) throw new Error('--services: a positive integer');

  const dir = mkdtempSync(join(tmpdir(), 'sidecar-bench-'));
  let snapshot: MeshSnapshot;
  try {
    writeMesh(dir, services);
    const yaml = readdirSync(dir)
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n---\n');
    snapshot = MeshSnapshot.fromYaml(yaml, 'bench-mesh.yaml');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`# sidecar config for N proxies in one namespace (${services} services)\n`);
  console.log(`machine: ${describeMachine(machineFacts())}\n`);
  const rows = [];
  for (const n of counts) {
    const connections = Array.from({ length: n }, (_, p) => sidecarConnection(p));
    perProxy(snapshot, sidecarConnection(n)); // warm-up: JIT and lazily built snapshot indexes
    // Total bytes over all proxies, compared so a sharing mistake fails the benchmark instead of flattering it.
    let bytes = 0;
    const alone = timeMs(() => connections.forEach((c) => (bytes += perProxy(snapshot, c))));
    const source = new SidecarServingCache(snapshot);
    let servedBytes = 0;
    const together = timeMs(() => connections.forEach((c) => (servedBytes += shared(source, c))));
    if (servedBytes !== bytes)
      throw new Error(`shared config (${servedBytes} B) differs from per-proxy (${bytes} B)`);
    rows.push([
      n,
      fmt(bytes / n / 1024),
      fmt(alone),
      fmt(alone / n, 1),
      fmt(together),
      fmt(together / n, 2),
      `${fmt(alone / together, 1)}×`,
    ]);
  }
  console.log(
    markdownTable(
      [
        'proxies',
        'KiB per proxy',
        'per proxy: total ms',
        'ms/proxy',
        'shared: total ms',
        'ms/proxy',
        'speed-up',
      ],
      rows,
    ),
  );
  return 0;
}
