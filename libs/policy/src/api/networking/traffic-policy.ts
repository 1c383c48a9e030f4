import Type, { type Static } from 'typebox';

import { ConnectionPoolSettings, PortSelector } from '../common.js';
import {
  bool,
  double,
  duration,
  enumOf,
  int32,
  listOf,
  mapOf,
  nullableBool,
  obj,
  opt,
  str,
  stringList,
  uint32,
} from '../schema-helpers.js';

/** `TrafficPolicy` of a DestinationRule (and of its subsets and port-level settings). */

export const LB_SIMPLE = [
  'UNSPECIFIED',
  'LEAST_CONN',
  'RANDOM',
  'PASSTHROUGH',
  'ROUND_ROBIN',
  'LEAST_REQUEST',
] as const;

const ConsistentHashLB = obj(
  {
    httpHeaderName: opt(str('Hash based on a specific HTTP header.')),
    httpCookie: opt(
      obj({
        name: str('Name of the cookie.'),
        attributes: opt(
          listOf(
            obj({
              name: str('The name of the cookie attribute.'),
              value: opt(str('The optional value of the cookie attribute.')),
            }),
            'Additional attributes for the cookie.',
          ),
        ),
        path: opt(str('Path to set for the cookie.')),
        ttl: opt(duration('Lifetime of the cookie.', false)),
      }),
    ),
    useSourceIp: opt(bool('Hash based on the source IP address.')),
    httpQueryParameterName: opt(str('Hash based on a specific HTTP query parameter.')),
    ringHash: opt(obj({ minimumRingSize: opt(Type.Integer({ minimum: 0 })) })),
    maglev: opt(obj({ tableSize: opt(Type.Integer({ minimum: 0 })) })),
    minimumRingSize: opt(Type.Integer({ minimum: 0, description: 'Deprecated.' })),
  },
  {
    oneOf: [
      ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'],
      ['ringHash', 'maglev'],
    ],
  },
);

/** Also MeshConfig's mesh-wide `localityLbSetting`. */
export const LocalityLoadBalancerSetting = obj({
  distribute: opt(
    listOf(
      obj({ from: opt(str("Originating locality, '/' separated, e.g.")), to: opt(mapOf(uint32())) }),
      'Optional: only one of distribute, failover or failoverPriority can be set.',
    ),
  ),
  failover: opt(listOf(obj({ from: opt(str()), to: opt(str()) }))),
  failoverPriority: opt(stringList()),
  enabled: opt(nullableBool('Enable locality load balancing.')),
});

export const LoadBalancerSettings = obj(
  {
    simple: opt(enumOf([...LB_SIMPLE])),
    consistentHash: opt(ConsistentHashLB),
    localityLbSetting: opt(LocalityLoadBalancerSetting),
    warmupDurationSecs: opt(duration('Deprecated: use `warmup` instead.')),
    warmup: opt(
      obj({
        duration: duration(),
        minimumPercent: opt(double(undefined, { minimum: 0, maximum: 100, nullable: true })),
        aggression: opt(double(undefined, { minimum: 1, nullable: true })),
      }),
    ),
  },
  {
    description: 'Settings controlling the load balancer algorithms.',
    oneOf: [['simple', 'consistentHash']],
  },
);
export type LoadBalancerSettings = Static<typeof LoadBalancerSettings>;

export const OutlierDetection = obj({
  splitExternalLocalOriginErrors: opt(bool()),
  consecutiveLocalOriginFailures: opt(uint32(undefined, { nullable: true })),
  consecutiveGatewayErrors: opt(uint32(undefined, { nullable: true })),
  consecutive5xxErrors: opt(uint32(undefined, { nullable: true })),
  interval: opt(duration('Time interval between ejection sweep analysis.')),
  baseEjectionTime: opt(duration('Minimum ejection duration.')),
  maxEjectionPercent: opt(int32()),
  minHealthPercent: opt(int32()),
  consecutiveErrors: opt(int32()),
});
export type OutlierDetection = Static<typeof OutlierDetection>;

/** `ClientTLSSettings`: TLS origination towards the destination. */
export const ClientTLSSettings = obj({
  mode: opt(enumOf(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'])),
  clientCertificate: opt(str('REQUIRED if mode is `MUTUAL`.')),
  privateKey: opt(str('REQUIRED if mode is `MUTUAL`.')),
  caCertificates: opt(str()),
  credentialName: opt(str()),
  subjectAltNames: opt(stringList()),
  sni: opt(str('SNI string to present to the server during TLS handshake.')),
  insecureSkipVerify: opt(nullableBool()),
  caCrl: opt(str()),
});
export type ClientTLSSettings = Static<typeof ClientTLSSettings>;

const PortTrafficPolicy = obj({
  port: opt(PortSelector),
  loadBalancer: opt(LoadBalancerSettings),
  connectionPool: opt(ConnectionPoolSettings),
  outlierDetection: opt(OutlierDetection),
  tls: opt(ClientTLSSettings),
});
export type PortTrafficPolicy = Static<typeof PortTrafficPolicy>;

export const TrafficPolicy = obj({
  loadBalancer: opt(LoadBalancerSettings),
  connectionPool: opt(ConnectionPoolSettings),
  outlierDetection: opt(OutlierDetection),
  tls: opt(ClientTLSSettings),
  portLevelSettings: opt(
    listOf(PortTrafficPolicy, 'Traffic policies specific to individual ports.', { maxItems: 4096 }),
  ),
  tunnel: opt(
    obj({
      protocol: opt(str('Specifies which protocol to use for tunneling the downstream connection.')),
      targetHost: str('Specifies a host to which the downstream connection is tunneled.'),
      targetPort: uint32('Specifies a port to which the downstream connection is tunneled.'),
    }),
  ),
  proxyProtocol: opt(obj({ version: opt(enumOf(['V1', 'V2'])) })),
  retryBudget: opt(
    obj({
      percent: opt(double(undefined, { minimum: 0, maximum: 100, nullable: true })),
      minRetryConcurrency: opt(uint32()),
    }),
  ),
});
export type TrafficPolicy = Static<typeof TrafficPolicy>;
