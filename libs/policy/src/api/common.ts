import Type, { type Static } from 'typebox';

import {
  duration,
  enumOf,
  int32,
  listOf,
  mapOf,
  obj,
  opt,
  str,
  stringList,
  stringMap,
  uint32,
} from './schema-helpers.js';

/**
 * Messages shared by several Istio kinds (istio/api `networking/v1alpha3` and `type/v1beta1`), with the
 * field names of istio.io's reference.
 */

/** `StringMatch`: at most one of exact, prefix or regex (RE2 syntax). */
export const StringMatch = obj(
  {
    exact: opt(str()),
    prefix: opt(str()),
    regex: opt(str('[RE2 style regex-based match](https://github.com/google/re2/wiki/Syntax).')),
  },
  { oneOf: [['exact', 'prefix', 'regex']] },
);
export type StringMatch = Static<typeof StringMatch>;

/** `Percent`: a fraction of traffic, 0.0 to 100.0. */
export const Percent = obj({ value: opt(Type.Number({ format: 'double' })) });
export type Percent = Static<typeof Percent>;

/** `PortSelector`: the port on a destination host. */
export const PortSelector = obj({ number: opt(uint32()) });

/** `Destination`: a service (by registry host name), an optional subset and port. */
export const Destination = obj({
  host: str('The name of a service from the service registry.'),
  subset: opt(str('The name of a subset within the service.')),
  port: opt(PortSelector),
});
export type Destination = Static<typeof Destination>;

const HeaderOperations = obj({
  set: opt(stringMap()),
  add: opt(stringMap()),
  remove: opt(stringList()),
});

/** `Headers`: request and response header manipulation. */
export const Headers = obj({ request: opt(HeaderOperations), response: opt(HeaderOperations) });
export type Headers = Static<typeof Headers>;

/** `networking.v1alpha3.WorkloadSelector` (Sidecar, ServiceEntry, EnvoyFilter): `labels`. */
export const NetworkingWorkloadSelector = obj({
  labels: opt(
    mapOf(
      Type.String({
        maxLength: 63,
        'x-kubernetes-validations': [
          { rule: '!self.contains("*")', message: 'wildcard is not supported in selector' },
        ],
      }),
      'One or more labels that indicate a specific set of pods/VMs on which the configuration should be applied.',
      { maxProperties: 256 },
    ),
  ),
});
export type NetworkingWorkloadSelector = Static<typeof NetworkingWorkloadSelector>;

/** `type.v1beta1.WorkloadSelector` (security, telemetry, DestinationRule): `matchLabels`. */
export const WorkloadSelector = obj({
  matchLabels: opt(
    mapOf(
      Type.String({
        maxLength: 63,
        'x-kubernetes-validations': [
          { rule: '!self.contains("*")', message: 'wildcard not allowed in label value match' },
        ],
      }),
      'One or more labels that indicate a specific set of pods/VMs on which a policy should be applied.',
      {
        maxProperties: 4096,
        'x-kubernetes-validations': [
          { rule: 'self.all(key, !key.contains("*"))', message: 'wildcard not allowed in label key match' },
          { rule: 'self.all(key, key.size() != 0)', message: 'key must not be empty' },
        ],
      },
    ),
  ),
});
export type WorkloadSelector = Static<typeof WorkloadSelector>;

/** `type.v1beta1.PolicyTargetReference`: a Gateway API style reference to the resource a policy attaches to. */
export const PolicyTargetReference = obj({
  group: opt(
    str('group is the group of the target resource.', {
      maxLength: 253,
      pattern: '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    }),
  ),
  kind: str('kind is kind of the target resource.', {
    minLength: 1,
    maxLength: 63,
    pattern: '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$',
  }),
  name: str('name is the name of the target resource.', { minLength: 1, maxLength: 253 }),
  namespace: opt(
    str('namespace is the namespace of the referent.', {
      'x-kubernetes-validations': [
        { rule: 'self.size() == 0', message: 'cross namespace referencing is not currently supported' },
      ],
    }),
  ),
});
export type PolicyTargetReference = Static<typeof PolicyTargetReference>;

/** `targetRef` and `targetRefs`, shared by the policies that accept them. */
export const targetRefFields = {
  targetRef: opt(PolicyTargetReference),
  targetRefs: opt(listOf(PolicyTargetReference, 'Optional.', { maxItems: 16 })),
};

/** Istio's CEL rule for policies that accept a selector or target references, verbatim from its CRDs. */
export const SELECTOR_OR_TARGET_REFS = {
  rule: '(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1',
  message: 'only one of targetRefs or selector can be set',
};

/** `TcpKeepalive`: `SO_KEEPALIVE` on upstream connections (connection pools, MeshConfig). */
export const TcpKeepalive = obj({
  probes: opt(uint32()),
  time: opt(duration()),
  interval: opt(duration()),
});

/** `ConnectionPoolSettings` (DestinationRule traffic policies and Sidecar inbound pools). */
export const ConnectionPoolSettings = obj({
  tcp: opt(
    obj(
      {
        maxConnections: opt(int32('Maximum number of HTTP1 /TCP connections to a destination host.')),
        connectTimeout: opt(duration('TCP connection timeout.')),
        tcpKeepalive: opt(TcpKeepalive),
        maxConnectionDuration: opt(duration('The maximum duration of a connection.')),
        idleTimeout: opt(duration('The idle timeout for TCP connections.', false)),
      },
      { description: 'Settings common to both HTTP and TCP upstream connections.' },
    ),
  ),
  http: opt(
    obj(
      {
        http1MaxPendingRequests: opt(int32()),
        http2MaxRequests: opt(int32()),
        maxRequestsPerConnection: opt(int32()),
        maxRetries: opt(int32()),
        idleTimeout: opt(duration('The idle timeout for upstream connection pool connections.')),
        h2UpgradePolicy: opt(enumOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'])),
        useClientProtocol: opt(Type.Boolean()),
        maxConcurrentStreams: opt(int32()),
        http2KeepAlive: opt(
          obj(
            {
              interval: opt(duration('The time between HTTP/2 PING frames.')),
              timeout: opt(duration('How long to wait for a PING response before closing the connection.')),
            },
            { description: 'HTTP/2 keepalive: PING frames on idle upstream connections.' },
          ),
        ),
      },
      { description: 'HTTP connection pool settings.' },
    ),
  ),
});
export type ConnectionPoolSettings = Static<typeof ConnectionPoolSettings>;

const StatusCondition = obj({
  type: opt(str()),
  status: opt(str()),
  lastProbeTime: opt(str(undefined, { format: 'date-time' })),
  lastTransitionTime: opt(str(undefined, { format: 'date-time' })),
  reason: opt(str()),
  message: opt(str()),
  observedGeneration: opt(Type.Unknown({ 'x-kubernetes-int-or-string': true })),
});

const ValidationMessage = obj({
  type: opt(obj({ code: opt(str()), name: opt(str()) })),
  level: opt(enumOf(['UNKNOWN', 'ERROR', 'WARNING', 'INFO'])),
  documentationUrl: opt(str()),
});

/**
 * `IstioStatus`: written by the control plane through the status subresource. Only the CRD uses it;
 * kept open (`x-kubernetes-preserve-unknown-fields`) like Istio's so newer status fields are not pruned.
 */
export const IstioStatus = Type.Object(
  {
    conditions: opt(listOf(StatusCondition, 'Current service state of the resource.')),
    validationMessages: opt(
      listOf(ValidationMessage, "Includes any errors or warnings detected by Istio's analyzers."),
    ),
    observedGeneration: opt(Type.Unknown({ 'x-kubernetes-int-or-string': true })),
  },
  { 'x-kubernetes-preserve-unknown-fields': true },
);
