import { afterEach, describe, expect, it } from 'vitest';

import {
  AdsClient,
  MemoryResourceSource,
  startAdsServer,
  TypeUrl,
  type RunningAdsServer,
} from '../src/index.js';
import { edsCluster, eventually, loadAssignment, nameOf } from './fixtures.js';

describe.each(['sotw', 'delta'] as const)('ADS client ↔ server (%s)', (protocol) => {
  let server: RunningAdsServer | undefined;
  let client: AdsClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
  });

  it('syncs, updates and removes clusters', async () => {
    const source = new MemoryResourceSource(nameOf);
    source.set(TypeUrl.Cluster, [edsCluster('a'), edsCluster('b')]);
    server = await startAdsServer({ source });
    client = new AdsClient({ target: `127.0.0.1:${server.port}`, node: { id: 'n1' }, protocol });
    client.subscribe(TypeUrl.Cluster);
    client.start();
    await eventually(() => client!.resources(TypeUrl.Cluster).size === 2, 5000, 'initial sync');

    const changed = source.set(TypeUrl.Cluster, [edsCluster('a', { lb_policy: 'LEAST_REQUEST' })]);
    server.ads.push({ typeUrl: TypeUrl.Cluster, names: changed });
    await eventually(
      () =>
        (client!.resources(TypeUrl.Cluster).get('a')?.resource as { lb_policy?: string }).lb_policy ===
        'LEAST_REQUEST',
    );

    server.ads.push({ typeUrl: TypeUrl.Cluster, names: source.remove(TypeUrl.Cluster, ['b']) });
    await eventually(() => client!.resources(TypeUrl.Cluster).size === 1, 5000, 'removal');

    source.set(TypeUrl.ClusterLoadAssignment, [loadAssignment('a', [1000])]);
    client.subscribe(TypeUrl.ClusterLoadAssignment, ['a']);
    await eventually(() => client!.resources(TypeUrl.ClusterLoadAssignment).has('a'), 5000, 'EDS');
    expect([...client.resources(TypeUrl.Cluster).keys()]).toEqual(['a']);
    expect(client.status().map((s) => [s.typeUrl, s.resources, s.lastNack])).toEqual([
      [TypeUrl.Cluster, 1, undefined],
      [TypeUrl.ClusterLoadAssignment, 1, undefined],
    ]);
  });
});
