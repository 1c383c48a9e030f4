import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { AdsClient, TypeUrl, type Cluster, type Listener } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir } from './istiod-harness.js';

const MESH = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-1, namespace: default}
spec: {address: 10.0.0.20, labels: {app: ratings, security.istio.io/tlsMode: istio}, serviceAccount: ratings}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: frontend-only, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/frontend]}}]
    to: [{operation: {methods: [GET]}}]
`;

describe('sidecar xDS from istiod', () => {
  let istiod: RunningIstiod | undefined;
  let client: AdsClient | undefined;
  afterEach(async () => {
    client?.close();
    await istiod?.close();
  });

  it('serves a sidecar valid CDS, EDS, LDS and RDS that it ACKs, shaped by mTLS and authorization policy', async () => {
    const config = tempDir('istiod-config-');
    writeFileSync(join(config, 'mesh.yaml'), MESH);
    istiod = await startTestIstiod(tempDir('istiod-state-'), ['--config-dir', config]);
    const nacks: string[] = [];
    client = new AdsClient({
      target: `127.0.0.1:${istiod.ports.xds}`,
      node: {
        id: 'sidecar~10.0.0.10~reviews-1.default~default.svc.cluster.local',
        metadata: {
          NAMESPACE: 'default',
          LABELS: { app: 'reviews' },
          INSTANCE_IPS: '10.0.0.10',
          SERVICE_ACCOUNT: 'reviews',
        },
      },
    });
    client.on('nack', (n) => nacks.push(n.message));
    client.subscribe(TypeUrl.Cluster);
    client.subscribe(TypeUrl.Listener);
    client.subscribe(TypeUrl.RouteConfiguration, ['9080']);
    client.subscribe(TypeUrl.ClusterLoadAssignment, ['outbound|9080||ratings.default.svc.cluster.local']);
    client.start();
    const deadline = Date.now() + 10_000;
    while (
      client.resources(TypeUrl.ClusterLoadAssignment).size === 0 ||
      client.resources(TypeUrl.RouteConfiguration).size === 0
    ) {
      if (Date.now() > deadline) throw new Error(`no config arrived; NACKs: ${nacks.join('; ')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(nacks).toEqual([]);

    const clusters = client.resources<Cluster>(TypeUrl.Cluster);
    expect([...clusters.keys()]).toEqual(
      expect.arrayContaining([
        'outbound|9080||ratings.default.svc.cluster.local',
        'inbound|9080||',
        'PassthroughCluster',
        'BlackHoleCluster',
      ]),
    );
    const ratings = clusters.get('outbound|9080||ratings.default.svc.cluster.local')!.resource as {
      transport_socket_matches?: { name: string }[];
    };
    expect(ratings.transport_socket_matches?.map((m) => m.name)).toEqual([
      'tlsMode-istio',
      'tlsMode-disabled',
    ]); // auto-mTLS

    const listeners = client.resources<Listener>(TypeUrl.Listener);
    const inbound = JSON.stringify(listeners.get('virtualInbound')?.resource);
    expect(inbound).toContain('"require_client_certificate":{"value":true}'); // STRICT
    expect(inbound).not.toContain('"transport_protocol":"raw_buffer"');
    expect(inbound).toContain('ns[default]-policy[frontend-only]-rule[0]'); // the RBAC policy name Istio uses
    const endpoints = JSON.stringify(
      client.resources(TypeUrl.ClusterLoadAssignment).get('outbound|9080||ratings.default.svc.cluster.local')
        ?.resource,
    );
    expect(endpoints).toContain('10.0.0.20');
  });
});
