import { execFile } from 'node:child_process';

import {
  MemoryResourceSource,
  resourceTypeFor,
  startAdsServer,
  TypeUrl,
  type RunningAdsServer,
} from '@mesh/xds';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';

/**
 * The sidecar under a control plane the test controls (a test ADS server; istiod stays the CA and
 * configures the server-side sidecar): a bad update is NACKed with its field and traffic keeps
 * flowing on the last good config; a server whose SPIFFE identity is not the one the cluster expects
 * is refused.
 */

const mesh = new LoopbackMesh();
const source = new MemoryResourceSource(
  (typeUrl, resource) => resourceTypeFor(typeUrl)?.nameOf(resource) ?? '',
);
const nacks: { typeUrl: string; message: string }[] = [];
let ads: RunningAdsServer;
let sidecar: SidecarProcess;
let app: { host: string; port: number };

const CLUSTER = 'outbound|8080||web.default.svc.cluster.local';
const MTLS_CLUSTER = 'outbound|8080||secure.default.svc.cluster.local';
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const SDS = { ads: {}, resource_api_version: 'V3' };

/** ISTIO_MUTUAL to the meshed backend, accepting only `expectedSan`. */
function mtlsCluster(expectedSan: string): object {
  return {
    name: MTLS_CLUSTER,
    type: 'STATIC',
    connect_timeout: { seconds: '10' },
    load_assignment: {
      cluster_name: MTLS_CLUSTER,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '127.0.24.2', port_value: 8080 } } } },
          ],
        },
      ],
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: {
          alpn_protocols: ['istio-peer-exchange', 'istio'],
          tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: SDS }],
          combined_validation_context: {
            default_validation_context: { match_subject_alt_names: [{ exact: expectedSan }] },
            validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: SDS },
          },
        },
        sni: 'outbound_.8080_._.secure.default.svc.cluster.local',
      },
    },
  };
}

function cluster(extra: Record<string, unknown> = {}): object {
  return {
    name: CLUSTER,
    type: 'STATIC',
    connect_timeout: { seconds: '10' },
    load_assignment: {
      cluster_name: CLUSTER,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: app.host, port_value: app.port } } } },
          ],
        },
      ],
    },
    ...extra,
  };
}

const PASSTHROUGH = {
  name: 'PassthroughCluster',
  type: 'ORIGINAL_DST',
  lb_policy: 'CLUSTER_PROVIDED',
  connect_timeout: { seconds: '10' },
};

const listeners = [
  {
    name: 'virtualOutbound',
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    use_original_dst: { value: true },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
              stat_prefix: 'PassthroughCluster',
              cluster: 'PassthroughCluster',
            },
          },
        ],
      },
    ],
  },
  {
    name: '0.0.0.0_8080',
    address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
    bind_to_port: { value: false },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: 'outbound_0.0.0.0_8080',
              rds: { route_config_name: '8080', config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  },
];

const route = {
  name: '8080',
  virtual_hosts: [
    {
      name: 'web',
      domains: ['web', 'web:8080'],
      routes: [{ match: { prefix: '/' }, route: { cluster: CLUSTER } }],
    },
    {
      name: 'secure',
      domains: ['secure', 'secure:8080'],
      routes: [{ match: { prefix: '/' }, route: { cluster: MTLS_CLUSTER } }],
    },
  ],
};

function get(url: string): Promise<string> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', '-w', ' %{http_code}', url],
      { env: { ...process.env, http_proxy: sidecar.proxyUrl } },
      (_e, out) => resolve(String(out)),
    ),
  );
}

beforeAll(async () => {
  mesh.writeConfig(
    'secure.yaml',
    `apiVersion: v1
kind: Service
metadata: { name: secure, namespace: default }
spec:
  selector: { app: secure }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: default }
spec:
  mtls: { mode: STRICT }
`,
  );
  await mesh.startIstiod();
  app = await mesh.startApp('web', '127.0.24.9');
  const secureApp = await mesh.startApp('secure', '127.0.24.2');
  await mesh.startSidecar({
    name: 'secure-1',
    serviceAccount: 'secure',
    labels: { app: 'secure' },
    address: '127.0.24.2',
    inbound: { 8080: secureApp },
  });
  ads = await startAdsServer({
    source,
    hooks: { onNack: (_connection, nack) => nacks.push(nack) },
  });
  source.set(TypeUrl.Cluster, [
    cluster(),
    PASSTHROUGH,
    mtlsCluster('spiffe://cluster.local/ns/default/sa/secure'),
  ]);
  source.set(TypeUrl.Listener, listeners);
  source.set(TypeUrl.RouteConfiguration, [route]);
  sidecar = await mesh.startSidecar({
    name: 'client',
    labels: { app: 'client' },
    address: '127.0.24.1',
    xdsAddress: `127.0.0.1:${ads.port}`,
  });
}, 60_000);

afterAll(async () => {
  await ads?.close();
  await mesh.stop();
});

it('NACKs a cluster with an invalid field, names it, and keeps serving with the last good config', async () => {
  expect(await get('http://web:8080/before')).toMatch(/"app":"web".* 200$/);
  source.set(TypeUrl.Cluster, [cluster({ outlier_detection: { max_ejection_percent: { value: 150 } } })]);
  ads.ads.push({ typeUrl: TypeUrl.Cluster });
  await waitFor(
    () => nacks.length > 0,
    10_000,
    () => sidecar.logs.join('\n'),
  );
  expect(nacks[0]?.typeUrl).toBe(TypeUrl.Cluster);
  expect(nacks[0]?.message).toContain(`${CLUSTER}`);
  expect(nacks[0]?.message).toContain('outlier_detection.max_ejection_percent');
  expect(await get('http://web:8080/after-nack')).toMatch(/"app":"web".* 200$/);
  expect(sidecar.logs.some((l) => l.includes('keeping the last good configuration'))).toBe(true);

  // A good update is accepted again: the route now answers directly.
  source.set(TypeUrl.RouteConfiguration, [
    {
      ...route,
      virtual_hosts: [
        { ...route.virtual_hosts[0], routes: [{ match: { prefix: '/' }, direct_response: { status: 418 } }] },
      ],
    },
  ]);
  source.set(TypeUrl.Cluster, [cluster()]);
  ads.ads.push([{ typeUrl: TypeUrl.Cluster }, { typeUrl: TypeUrl.RouteConfiguration }]);
  await waitFor(
    async () => (await get('http://web:8080/later')).endsWith(' 418'),
    10_000,
    () => sidecar.logs.join('\n'),
  );
});

it('originates Istio mTLS and refuses a server whose SPIFFE identity is not the expected one', async () => {
  source.set(TypeUrl.RouteConfiguration, [route]);
  ads.ads.push({ typeUrl: TypeUrl.RouteConfiguration });
  await waitFor(
    async () => /"app":"secure".* 200$/.test(await get('http://secure:8080/right-identity')),
    10_000,
    () => sidecar.logs.join('\n'),
  );
  source.set(TypeUrl.Cluster, [mtlsCluster('spiffe://cluster.local/ns/default/sa/someone-else')]);
  ads.ads.push({ typeUrl: TypeUrl.Cluster });
  await waitFor(
    async () => (await get('http://secure:8080/wrong-identity')).endsWith(' 503'),
    10_000,
    () => sidecar.logs.join('\n'),
  );
  expect(await get('http://secure:8080/wrong-identity')).toContain(
    'server identity spiffe://cluster.local/ns/default/sa/secure is not one of the expected',
  );
});
