import { afterEach, describe, expect, it } from 'vitest';

import {
  AdsClient,
  MemoryResourceSource,
  startAdsServer,
  TypeUrl,
  type AdsServerHooks,
  type RunningAdsServer,
} from '../src/index.js';
import { edsCluster, eventually, nameOf } from './fixtures.js';

describe.each(['sotw', 'delta'] as const)('ADS resilience (%s)', (protocol) => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(
    source: MemoryResourceSource,
    port = 0,
    hooks: AdsServerHooks = {},
  ): Promise<RunningAdsServer> {
    const running = await startAdsServer({ source, port, hooks });
    cleanups.push(() => running.close());
    return running;
  }

  function client(port: number): AdsClient {
    const c = new AdsClient({
      target: `127.0.0.1:${port}`,
      node: { id: `sidecar~127.0.0.1~test.default~default.svc.cluster.local` },
      protocol,
      backoff: { initialMs: 50, maxMs: 500 },
    });
    cleanups.push(() => c.close());
    return c;
  }

  it('NACKs an invalid update with every error, keeps the last good config, and the server sees why', async () => {
    const source = new MemoryResourceSource(nameOf);
    source.set(TypeUrl.Cluster, [edsCluster('good', { lb_policy: 'RANDOM' })]);
    const nacks: string[] = [];
    const running = await server(source, 0, { onNack: (_conn, nack) => nacks.push(nack.message) });
    const c = client(running.port);
    c.subscribe(TypeUrl.Cluster);
    c.start();
    await eventually(() => c.resources(TypeUrl.Cluster).size === 1, 5000, 'initial sync');
    const goodVersion = c.status()[0]?.ackedVersion;

    // Two problems in one cluster plus a second bad cluster: all of them must be reported.
    const bad = [
      edsCluster('good', {
        lb_policy: 'LEAST_REQUEST',
        eds_cluster_config: undefined,
        connect_timeout: { seconds: 0 },
      }),
      { name: 'also-bad', type: 'STATIC', connect_timeout: { seconds: -1 } },
    ];
    running.ads.push({ typeUrl: TypeUrl.Cluster, names: source.set(TypeUrl.Cluster, bad) });
    await eventually(() => nacks.length === 1, 5000, 'NACK at the server');

    expect(nacks[0]).toContain(
      'CDS good: eds_cluster_config: eds_cluster_config is required for an EDS cluster',
    );
    expect(nacks[0]).toContain('connect_timeout: duration must be greater than zero');
    expect(nacks[0]).toContain('CDS also-bad: connect_timeout: duration must be non-negative');
    const held = c.resources(TypeUrl.Cluster);
    expect([...held.keys()]).toEqual(['good']);
    expect((held.get('good')?.resource as { lb_policy?: string }).lb_policy).toBe('RANDOM');
    const status = c.status()[0];
    expect(status?.ackedVersion).toBe(goodVersion);
    expect(status?.lastNack?.message).toBe(nacks[0]);
    const serverSide = running.ads.status()[0]?.types.find((t) => t.typeUrl === TypeUrl.Cluster);
    expect(serverSide?.nack?.message).toBe(nacks[0]);

    // A fixed config is accepted again and clears the NACK on the server side.
    running.ads.push({
      typeUrl: TypeUrl.Cluster,
      names: source.replace(TypeUrl.Cluster, [edsCluster('good', { lb_policy: 'MAGLEV' })]),
    });
    await eventually(
      () =>
        (c.resources(TypeUrl.Cluster).get('good')?.resource as { lb_policy?: string }).lb_policy === 'MAGLEV',
    );
    await eventually(() => running.ads.status()[0]?.types[0]?.nack === undefined, 5000, 'NACK cleared');
  });

  it('reconnects after a server restart, resubscribes and converges on the new state', async () => {
    const source = new MemoryResourceSource(nameOf);
    source.set(TypeUrl.Cluster, [edsCluster('a'), edsCluster('b')]);
    const first = await server(source);
    const port = first.port;
    const c = client(port);
    c.subscribe(TypeUrl.Cluster);
    c.subscribe(TypeUrl.ClusterLoadAssignment, ['a']);
    c.start();
    await eventually(() => c.resources(TypeUrl.Cluster).size === 2, 5000, 'initial sync');
    await first.close();
    await eventually(() => !c.connected, 5000, 'disconnect');
    expect(c.resources(TypeUrl.Cluster).size).toBe(2); // still serving the last config

    const restarted = new MemoryResourceSource(nameOf);
    restarted.set(TypeUrl.Cluster, [edsCluster('a'), edsCluster('c')]);
    const second = await server(restarted, port);
    await eventually(
      () => [...c.resources(TypeUrl.Cluster).keys()].sort().join() === 'a,c',
      10_000,
      'convergence',
    );
    expect(c.streamsOpened).toBeGreaterThanOrEqual(2);
    const types = second.ads.status()[0]?.types ?? [];
    expect(types.find((t) => t.typeUrl === TypeUrl.Cluster)?.wildcard).toBe(true);
    expect(types.find((t) => t.typeUrl === TypeUrl.ClusterLoadAssignment)?.names).toEqual(['a']);
  });

  it('sends named resources only to clients that subscribed to them', async () => {
    const source = new MemoryResourceSource(nameOf);
    const pushes: string[] = [];
    const running = await server(source, 0, {
      onPush: (conn, push) => {
        if (push.typeUrl === TypeUrl.ClusterLoadAssignment && push.resources > 0) pushes.push(conn.node.id);
      },
    });
    const one = client(running.port);
    one.subscribe(TypeUrl.ClusterLoadAssignment, ['x']);
    one.start();
    await eventually(
      () => running.ads.connectionCount === 1 && running.ads.status()[0]?.connection.node.id !== '',
    );
    const changed = source.set(TypeUrl.ClusterLoadAssignment, [
      { cluster_name: 'y', endpoints: [] },
      { cluster_name: 'x', endpoints: [] },
    ]);
    running.ads.push({ typeUrl: TypeUrl.ClusterLoadAssignment, names: changed });
    await eventually(() => one.resources(TypeUrl.ClusterLoadAssignment).has('x'), 5000, 'x arrives');
    expect(one.resources(TypeUrl.ClusterLoadAssignment).has('y')).toBe(false);

    one.unsubscribe(TypeUrl.ClusterLoadAssignment, ['x']);
    await eventually(
      () => running.ads.status()[0]?.types[0]?.names.length === 0,
      5000,
      'unsubscribe reaches the server',
    );
    pushes.length = 0;
    running.ads.push({
      typeUrl: TypeUrl.ClusterLoadAssignment,
      names: source.set(TypeUrl.ClusterLoadAssignment, [{ cluster_name: 'x', endpoints: [{}] }]),
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(pushes).toEqual([]);
    expect(one.resources(TypeUrl.ClusterLoadAssignment).size).toBe(0);
  });
});
