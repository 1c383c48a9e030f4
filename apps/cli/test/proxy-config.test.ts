import { MeshSnapshot } from '@mesh/registry';
import { buildSidecarContext, generateSidecar, TypeUrl } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { proxyConfigSummary, renderProxyConfig } from '../src/diagnose/proxy-config.js';

/**
 * `meshctl proxy-config` summaries of a config dump holding what istiod generates for the seed's
 * frontend (a reviews-like canary with subsets and a VirtualService), and of `/clusters` and `/logging`.
 */

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  clusterIP: 10.96.0.30
  selector: { app: backend }
  ports: [{ name: http, port: 8080 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  subsets: [{ name: v1, labels: { version: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: backend-canary, namespace: default }
spec:
  hosts: [backend]
  http:
    - match: [{ uri: { prefix: /api } }]
      route: [{ destination: { host: backend, subset: v1 } }]
`;

const ADMIN = 'type.googleapis.com/envoy.admin.v3';

function dumpOf(): string {
  const ctx = buildSidecarContext(MeshSnapshot.fromYaml(CONFIG, 'config.yaml'), {
    id: 'sidecar~10.0.0.10~frontend-0.default~default.svc.cluster.local',
    namespace: 'default',
    labels: { app: 'frontend' },
    ipAddresses: ['10.0.0.10'],
    serviceAccount: 'frontend',
  });
  const all = (typeUrl: string) => generateSidecar(ctx, { typeUrl, wildcard: true, names: new Set() });
  return JSON.stringify({
    configs: [
      {
        '@type': `${ADMIN}.ListenersConfigDump`,
        dynamic_listeners: all(TypeUrl.Listener).map((l) => ({ active_state: { listener: l } })),
      },
      {
        '@type': `${ADMIN}.ClustersConfigDump`,
        dynamic_active_clusters: all(TypeUrl.Cluster).map((cluster) => ({ cluster })),
      },
      {
        '@type': `${ADMIN}.RoutesConfigDump`,
        dynamic_route_configs: all(TypeUrl.RouteConfiguration).map((route_config) => ({ route_config })),
      },
    ],
  });
}

describe('proxy-config summaries', () => {
  it('cluster: per outbound service port and subset, with the DestinationRule', () => {
    const table = renderProxyConfig(proxyConfigSummary('cluster', dumpOf()), 'table').split('\n');
    expect(table[0]).toMatch(/^SERVICE FQDN +PORT +SUBSET +DIRECTION +TYPE +DESTINATION RULE$/);
    expect(table).toContainEqual(
      expect.stringMatching(
        /^backend\.default\.svc\.cluster\.local +8080 +- +outbound +EDS +backend\.default$/,
      ),
    );
    expect(table).toContainEqual(
      expect.stringMatching(
        /^backend\.default\.svc\.cluster\.local +8080 +v1 +outbound +EDS +backend\.default$/,
      ),
    );
    expect(table).toContainEqual(expect.stringMatching(/^PassthroughCluster +- +- +- +ORIGINAL_DST +-$/));
  });

  it('listener: each filter chain with its match and destination', () => {
    const { rows } = proxyConfigSummary('listener', dumpOf());
    expect(rows).toContainEqual(
      expect.objectContaining({ PORT: '15006', MATCH: expect.stringContaining('Trans: tls') }),
    );
    expect(rows.some((r) => r['DESTINATION']?.startsWith('Route: '))).toBe(true);
  });

  it('route: the VirtualService that made each route', () => {
    const { rows } = proxyConfigSummary('route', dumpOf());
    expect(rows).toContainEqual(
      expect.objectContaining({ MATCH: '/api*', 'VIRTUAL SERVICE': 'backend-canary.default' }),
    );
  });

  it('endpoint and log: from /clusters?format=json and /logging', () => {
    const clusters = {
      cluster_statuses: [
        {
          name: 'outbound|8080||backend.default.svc.cluster.local',
          host_statuses: [
            {
              address: { socket_address: { address: '127.0.10.2', port_value: 8080 } },
              health_status: { eds_health_status: 'HEALTHY', failed_outlier_check: true },
            },
          ],
        },
      ],
    };
    expect(renderProxyConfig(proxyConfigSummary('endpoint', JSON.stringify(clusters)), 'table')).toBe(
      [
        'ENDPOINT         STATUS   OUTLIER CHECK  CLUSTER',
        '127.0.10.2:8080  HEALTHY  FAILED         outbound|8080||backend.default.svc.cluster.local',
      ].join('\n'),
    );
    expect(proxyConfigSummary('log', 'active loggers:\n  mesh-proxy: info\n').rows).toEqual([
      { LOGGER: 'mesh-proxy', LEVEL: 'info' },
    ]);
  });
});
