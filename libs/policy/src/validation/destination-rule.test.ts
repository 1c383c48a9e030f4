import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const dr = (extra: Record<string, unknown>) => ({ host: 'reviews.default.svc.cluster.local', ...extra });
const policy = (trafficPolicy: Record<string, unknown>) => dr({ trafficPolicy });

const hostsAndSubsets: ValidationCase[] = [
  {
    name: 'subsets with labels and ISTIO_MUTUAL are valid',
    kind: 'DestinationRule',
    spec: dr({
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    }),
    expect: [],
  },
  { name: 'a short host is valid', kind: 'DestinationRule', spec: { host: 'reviews' }, expect: [] },
  { name: 'a wildcard host is valid', kind: 'DestinationRule', spec: { host: '*.example.com' }, expect: [] },
  {
    name: 'host is required',
    kind: 'DestinationRule',
    spec: { subsets: [{ name: 'v1' }] },
    expect: ['E SCHEMA_REQUIRED spec.host'],
  },
  {
    name: 'a host with an invalid label is rejected',
    kind: 'DestinationRule',
    spec: { host: 'reviews_v1.default' },
    expect: ['E HOST_INVALID spec.host'],
  },
  {
    name: 'a subset needs a name (schema)',
    kind: 'DestinationRule',
    spec: dr({ subsets: [{ labels: { version: 'v1' } }] }),
    expect: ['E SCHEMA_REQUIRED spec.subsets[0].name'],
  },
  {
    name: 'subset names must be unique',
    kind: 'DestinationRule',
    spec: dr({
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v1', labels: { version: 'v2' } },
      ],
    }),
    expect: ['E SUBSET_INVALID spec.subsets[1].name'],
  },
  {
    name: 'subset names are DNS labels',
    kind: 'DestinationRule',
    spec: dr({ subsets: [{ name: 'V_1', labels: { version: 'v1' } }] }),
    expect: ['E SUBSET_INVALID spec.subsets[0].name'],
  },
  {
    name: 'subset label values follow Kubernetes rules',
    kind: 'DestinationRule',
    spec: dr({ subsets: [{ name: 'v1', labels: { version: 'v1 beta' } }] }),
    expect: ['E LABEL_INVALID spec.subsets[0].labels.version'],
  },
  {
    name: 'a subset traffic policy is validated too',
    kind: 'DestinationRule',
    spec: dr({
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: { connectionPool: { tcp: { connectTimeout: '0s' } } },
        },
      ],
    }),
    expect: ['E DURATION_INVALID spec.subsets[0].trafficPolicy.connectionPool.tcp.connectTimeout'],
  },
  {
    name: 'a workload-selected DestinationRule may only be exported to its namespace',
    kind: 'DestinationRule',
    spec: dr({ workloadSelector: { matchLabels: { app: 'ratings' } }, exportTo: ['*'] }),
    expect: ['E EXPORT_TO_INVALID spec.exportTo'],
  },
];

const policies: ValidationCase[] = [
  {
    name: 'an empty traffic policy is invalid',
    kind: 'DestinationRule',
    spec: policy({}),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy'],
  },
  {
    name: 'a circuit breaker with outlier detection is valid',
    kind: 'DestinationRule',
    spec: policy({
      connectionPool: {
        tcp: { maxConnections: 1, connectTimeout: '30ms' },
        http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
      },
      outlierDetection: {
        consecutive5xxErrors: 1,
        interval: '1s',
        baseEjectionTime: '3m',
        maxEjectionPercent: 100,
      },
    }),
    expect: [],
  },
  {
    name: 'simple and consistentHash are exclusive',
    kind: 'DestinationRule',
    spec: policy({ loadBalancer: { simple: 'ROUND_ROBIN', consistentHash: { useSourceIp: true } } }),
    expect: ['E ONE_OF spec.trafficPolicy.loadBalancer'],
  },
  {
    name: 'one hash key at a time',
    kind: 'DestinationRule',
    spec: policy({ loadBalancer: { consistentHash: { httpHeaderName: 'x-user', useSourceIp: true } } }),
    expect: ['E ONE_OF spec.trafficPolicy.loadBalancer.consistentHash'],
  },
  {
    name: 'an unknown load balancer is rejected by the schema',
    kind: 'DestinationRule',
    spec: policy({ loadBalancer: { simple: 'FASTEST' } }),
    expect: ['E SCHEMA_ENUM spec.trafficPolicy.loadBalancer.simple'],
  },
  {
    name: 'a maglev table size must be prime',
    kind: 'DestinationRule',
    spec: policy({ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 1000 } } } }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize'],
  },
  {
    name: 'maxEjectionPercent above 100 is invalid',
    kind: 'DestinationRule',
    spec: policy({ outlierDetection: { maxEjectionPercent: 150 } }),
    expect: ['E PERCENT_INVALID spec.trafficPolicy.outlierDetection.maxEjectionPercent'],
  },
  {
    name: 'consecutiveErrors is deprecated',
    kind: 'DestinationRule',
    spec: policy({ outlierDetection: { consecutiveErrors: 5 } }),
    expect: ['W DEPRECATED spec.trafficPolicy.outlierDetection.consecutiveErrors'],
  },
  {
    name: 'local origin failures need split external/local errors',
    kind: 'DestinationRule',
    spec: policy({ outlierDetection: { consecutiveLocalOriginFailures: 3 } }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures'],
  },
  {
    name: 'a connection pool needs tcp or http settings',
    kind: 'DestinationRule',
    spec: policy({ connectionPool: {} }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.connectionPool'],
  },
  {
    name: 'negative pool limits are invalid',
    kind: 'DestinationRule',
    spec: policy({ connectionPool: { http: { http2MaxRequests: -1 } } }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.connectionPool.http.http2MaxRequests'],
  },
  {
    name: 'a TCP idle timeout of 0s disables it',
    kind: 'DestinationRule',
    spec: policy({ connectionPool: { tcp: { idleTimeout: '0s' } } }),
    expect: [],
  },
  {
    name: 'useClientProtocol conflicts with UPGRADE',
    kind: 'DestinationRule',
    spec: policy({ connectionPool: { http: { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true } } }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.connectionPool.http.useClientProtocol'],
  },
  {
    name: 'MUTUAL TLS needs a client certificate and key',
    kind: 'DestinationRule',
    spec: policy({ tls: { mode: 'MUTUAL', caCertificates: '/etc/certs/ca.pem' } }),
    expect: [
      'E TLS_INVALID spec.trafficPolicy.tls.clientCertificate',
      'E TLS_INVALID spec.trafficPolicy.tls.privateKey',
    ],
  },
  {
    name: 'credentialName excludes file-based certificates',
    kind: 'DestinationRule',
    spec: policy({
      tls: { mode: 'SIMPLE', credentialName: 'client-credential', caCertificates: '/etc/ca.pem' },
    }),
    expect: ['E TLS_INVALID spec.trafficPolicy.tls'],
  },
  {
    name: 'insecureSkipVerify excludes subject alt names',
    kind: 'DestinationRule',
    spec: policy({ tls: { mode: 'SIMPLE', insecureSkipVerify: true, subjectAltNames: ['a.example.com'] } }),
    expect: ['E TLS_INVALID spec.trafficPolicy.tls'],
  },
  {
    name: 'an unknown TLS mode is rejected by the schema',
    kind: 'DestinationRule',
    spec: policy({ tls: { mode: 'STRICT' } }),
    expect: ['E SCHEMA_ENUM spec.trafficPolicy.tls.mode'],
  },
  {
    name: 'port-level settings need a valid port',
    kind: 'DestinationRule',
    spec: policy({ portLevelSettings: [{ port: { number: 0 }, tls: { mode: 'DISABLE' } }] }),
    expect: ['E PORT_INVALID spec.trafficPolicy.portLevelSettings[0].port.number'],
  },
  {
    name: 'port-level settings need at least one setting',
    kind: 'DestinationRule',
    spec: policy({ portLevelSettings: [{ port: { number: 8080 } }] }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.portLevelSettings[0]'],
  },
  {
    name: 'locality distribution weights must total 100',
    kind: 'DestinationRule',
    spec: policy({
      outlierDetection: { consecutive5xxErrors: 5 },
      loadBalancer: {
        localityLbSetting: {
          enabled: true,
          distribute: [{ from: 'us-west/zone1/*', to: { 'us-west/zone1/*': 80, 'us-west/zone2/*': 10 } }],
        },
      },
    }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to'],
  },
  {
    name: 'failover needs outlier detection to take effect',
    kind: 'DestinationRule',
    spec: policy({ loadBalancer: { localityLbSetting: { failover: [{ from: 'us-east', to: 'eu-west' }] } } }),
    expect: ['W TRAFFIC_POLICY_INVALID spec.trafficPolicy.loadBalancer.localityLbSetting'],
  },
  {
    name: 'failover regions must differ',
    kind: 'DestinationRule',
    spec: policy({
      outlierDetection: { consecutive5xxErrors: 5 },
      loadBalancer: { localityLbSetting: { failover: [{ from: 'us-east', to: 'us-east' }] } },
    }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]'],
  },
  {
    name: 'tunnel and proxyProtocol are exclusive',
    kind: 'DestinationRule',
    spec: policy({
      tunnel: { targetHost: 'egress.example.com', targetPort: 443 },
      proxyProtocol: { version: 'V2' },
    }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy'],
  },
  {
    name: 'a tunnel protocol is CONNECT or POST',
    kind: 'DestinationRule',
    spec: policy({ tunnel: { protocol: 'GET', targetHost: '10.0.0.1', targetPort: 8443 } }),
    expect: ['E TRAFFIC_POLICY_INVALID spec.trafficPolicy.tunnel.protocol'],
  },
];

describe('DestinationRule validation', () => {
  describe('host, subsets and exportTo', () => runCases(hostsAndSubsets));
  describe('traffic policies', () => runCases(policies));
});
