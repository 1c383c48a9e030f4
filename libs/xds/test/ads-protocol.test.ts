import { once } from 'node:events';

import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import {
  adsServiceDefinition,
  MemoryResourceSource,
  startAdsServer,
  TypeUrl,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type RunningAdsServer,
  type XdsLogger,
} from '../src/index.js';
import { edsCluster, eventually, loadAssignment, nameOf } from './fixtures.js';

/** Wire-level checks with a hand-driven stream, where the AdsClient would hide the details. */
type RawStream<Req, Res> = ClientDuplexStream<Req, Res>;

const AdsStub = makeGenericClientConstructor(adsServiceDefinition(), 'Ads');

describe('ADS wire protocol', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(options: { sendTimeoutMs?: number; logger?: XdsLogger } = {}) {
    const source = new MemoryResourceSource(nameOf);
    const running: RunningAdsServer = await startAdsServer({ source, ...options });
    const stub = new AdsStub(`127.0.0.1:${running.port}`, credentials.createInsecure());
    cleanups.push(
      () => running.close(),
      () => stub.close(),
    );
    const open = <Req, Res>(method: 'StreamAggregatedResources' | 'DeltaAggregatedResources') => {
      const call = (stub as unknown as Record<string, () => RawStream<Req, Res>>)[method]!.call(stub);
      call.on('error', () => undefined);
      cleanups.push(() => call.cancel());
      return call;
    };
    return { source, running, open };
  }

  async function next<Req, T>(call: RawStream<Req, T>): Promise<T> {
    const [message] = (await once(call, 'data', { signal: AbortSignal.timeout(5000) })) as [T];
    return message;
  }

  it('SotW: ignores a request with a stale nonce, then records the ACK of the latest one', async () => {
    const { source, running, open } = await setup();
    source.set(TypeUrl.Cluster, [edsCluster('a')]);
    const call = open<DiscoveryRequest, DiscoveryResponse>('StreamAggregatedResources');
    call.write({ node: { id: 'raw' }, type_url: TypeUrl.Cluster });
    const first = await next(call);
    expect(first.resources).toHaveLength(1);

    call.write({
      type_url: TypeUrl.Cluster,
      response_nonce: 'not-a-nonce-we-sent',
      resource_names: ['only-this'],
    });
    call.write({ type_url: TypeUrl.Cluster, response_nonce: first.nonce, version_info: first.version_info });
    await eventually(
      () => running.ads.status()[0]?.types[0]?.ackedVersion === first.version_info,
      5000,
      'ACK',
    );
    const status = running.ads.status()[0]?.types[0];
    expect(status?.wildcard).toBe(true); // the stale request's subscription change was not applied
    expect(status?.names).toEqual([]);
  });

  it('delta: answers a subscription with what exists and removed_resources for what does not', async () => {
    const { source, open } = await setup();
    source.set(TypeUrl.ClusterLoadAssignment, [loadAssignment('x', [1]), loadAssignment('y', [2])]);
    const call = open<DeltaDiscoveryRequest, DeltaDiscoveryResponse>('DeltaAggregatedResources');
    call.write({
      node: { id: 'raw' },
      type_url: TypeUrl.ClusterLoadAssignment,
      resource_names_subscribe: ['x', 'y', 'missing'],
      initial_resource_versions: {
        y: source.resources({
          typeUrl: TypeUrl.ClusterLoadAssignment,
          names: new Set(['y']),
          wildcard: false,
        } as never)[0]!.version,
      },
    });
    const response = await next(call);
    expect(response.resources?.map((r) => r.name)).toEqual(['x']); // y is already held at this version
    expect(response.removed_resources).toEqual(['missing']);
  });

  it('finishes the RPC with OK when the client half-closes its stream', async () => {
    const { running, open } = await setup();
    const call = open<DiscoveryRequest, DiscoveryResponse>('StreamAggregatedResources');
    call.write({ node: { id: 'leaving' }, type_url: TypeUrl.Cluster });
    await next(call);
    const status = once(call, 'status', { signal: AbortSignal.timeout(5000) });
    call.end();
    const [{ code }] = (await status) as [{ code: number }];
    expect(code).toBe(0);
    expect(running.ads.connectionCount).toBe(0);
  });

  it('drops a client that stops reading, with the reason logged', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger: XdsLogger = {
      debug: () => undefined,
      info: (obj) => infos.push(String((obj as { reason?: string }).reason ?? '')),
      warn: (_obj, msg) => warnings.push(msg),
    };
    const { source, running, open } = await setup({ sendTimeoutMs: 300, logger });
    const big = Array.from({ length: 2000 }, (_, i) => edsCluster(`cluster-${i}-${'x'.repeat(100)}`));
    source.set(TypeUrl.Cluster, big);
    const call = open<DiscoveryRequest, DiscoveryResponse>('StreamAggregatedResources');
    call.write({ node: { id: 'slow' }, type_url: TypeUrl.Cluster });
    await next(call);
    call.pause(); // never read again
    for (let round = 0; round < 40 && running.ads.connectionCount > 0; round++) {
      const changed = source.set(
        TypeUrl.Cluster,
        big.map((c) => ({ ...c, connect_timeout: { seconds: round + 2 } })),
      );
      running.ads.push({ typeUrl: TypeUrl.Cluster, names: changed });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      infos.some((reason) => reason.startsWith('client too slow: response not read within 300 ms')),
    ).toBe(true);
    expect(running.ads.connectionCount).toBe(0);
  });
});
