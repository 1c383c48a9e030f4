import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { AdsClient, TypeUrl } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir } from './istiod-harness.js';

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
`;
const workloadEntry = (address: string) => `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-1, namespace: default}
spec: {address: ${address}, labels: {app: ratings}}
`;

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('incremental pushes', () => {
  let istiod: RunningIstiod | undefined;
  let client: AdsClient | undefined;
  afterEach(async () => {
    client?.close();
    await istiod?.close();
  });

  it('pushes EDS alone when only endpoints move, and everything when other config changes', async () => {
    const config = tempDir('istiod-config-');
    writeFileSync(join(config, 'ratings.yaml'), SERVICE);
    writeFileSync(join(config, 'endpoints.yaml'), workloadEntry('10.0.0.1'));
    istiod = await startTestIstiod(tempDir('istiod-state-'), [
      '--config-dir',
      config,
      '--push-debounce',
      '10ms',
    ]);
    const triggers = async () => {
      const text = await (await fetch(`http://127.0.0.1:${istiod!.ports.monitoring}/metrics`)).text();
      return Object.fromEntries(
        [...text.matchAll(/^pilot_push_triggers\{type="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
      );
    };
    client = new AdsClient({
      target: `127.0.0.1:${istiod.ports.xds}`,
      node: {
        id: 'sidecar~10.0.0.9~web-1.default~default.svc.cluster.local',
        metadata: { NAMESPACE: 'default', LABELS: { app: 'web' } },
      },
    });
    const cluster = 'outbound|9080||ratings.default.svc.cluster.local';
    const endpoints = () =>
      JSON.stringify(client!.resources(TypeUrl.ClusterLoadAssignment).get(cluster)?.resource ?? {});
    client.subscribe(TypeUrl.Cluster);
    client.subscribe(TypeUrl.ClusterLoadAssignment, [cluster]);
    client.start();
    await until(() => endpoints().includes('10.0.0.1'), 'initial endpoints');

    writeFileSync(join(config, 'endpoints.yaml'), workloadEntry('10.0.0.2'));
    await until(() => endpoints().includes('10.0.0.2'), 'the moved endpoint');
    expect(await triggers()).toEqual({ endpoint: 1 });

    // A workload with another service account behind the service: clusters must learn the new SAN.
    const clusterJson = () => JSON.stringify(client!.resources(TypeUrl.Cluster).get(cluster)?.resource ?? {});
    expect(clusterJson()).not.toContain('sa/ratings-v2');
    writeFileSync(
      join(config, 'endpoints.yaml'),
      `${workloadEntry('10.0.0.2')}---\n${workloadEntry('10.0.0.3').replace('ratings-1', 'ratings-2').replace('labels:', 'serviceAccount: ratings-v2, labels:')}`,
    );
    await until(
      () => clusterJson().includes('spiffe://cluster.local/ns/default/sa/ratings-v2'),
      'the new SAN in CDS',
    );
    expect(await triggers()).toEqual({ endpoint: 2 });

    writeFileSync(join(config, 'ratings.yaml'), SERVICE.replace('9080', '9081'));
    await until(
      () => client!.resources(TypeUrl.Cluster).has('outbound|9081||ratings.default.svc.cluster.local'),
      'the new port',
    );
    expect(await triggers()).toEqual({ endpoint: 2, config: 1 });
  });
});
