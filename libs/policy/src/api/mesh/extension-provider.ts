import { type Static } from 'typebox';

import {
  bool,
  duration,
  enumOf,
  freeForm,
  int64,
  listOf,
  obj,
  opt,
  str,
  stringList,
  stringMap,
  uint32,
} from '../schema-helpers.js';

/**
 * `MeshConfig.ExtensionProvider` (istio/api `mesh/v1alpha1/config.proto`): the external authorizers,
 * tracers, metrics and access log sinks that AuthorizationPolicy (CUSTOM) and Telemetry resources name.
 * Each provider sets exactly one kind; every kind of the proto is here, so any provider Istio accepts
 * loads.
 */

/**
 * `service` (`[<namespace>/]<hostname>`) and `port` of a provider reached over the network. The proto
 * calls them REQUIRED but Istio only warns when they are missing, so the schema leaves them optional.
 */
const serviceFields = {
  service: opt(str('The service implementing the provider: `[<namespace>/]<hostname>`.')),
  port: opt(uint32('Port of the service.')),
};

const RequestBody = obj({
  maxRequestBytes: opt(uint32()),
  allowPartialMessage: opt(bool()),
  packAsBytes: opt(bool()),
});

export const EnvoyExtAuthzHttpProvider = obj({
  ...serviceFields,
  timeout: opt(duration('How long the proxy waits for the authorizer (default 600s).')),
  pathPrefix: opt(str('Prefix added to the path of the check request.')),
  failOpen: opt(bool('Allow the request when the authorizer cannot be reached or fails.')),
  statusOnError: opt(str('HTTP status returned when the authorizer cannot be reached (default 403).')),
  includeHeadersInCheck: opt(stringList('Deprecated: use includeRequestHeadersInCheck.')),
  includeRequestHeadersInCheck: opt(stringList()),
  includeAdditionalHeadersInCheck: opt(stringMap()),
  includeRequestBodyInCheck: opt(RequestBody),
  headersToUpstreamOnAllow: opt(stringList()),
  headersToDownstreamOnDeny: opt(stringList()),
  headersToDownstreamOnAllow: opt(stringList()),
});

export const EnvoyExtAuthzGrpcProvider = obj({
  ...serviceFields,
  timeout: opt(duration('How long the proxy waits for the authorizer (default 600s).')),
  failOpen: opt(bool()),
  statusOnError: opt(str()),
  includeRequestBodyInCheck: opt(RequestBody),
});

const TRACE_CONTEXTS = ['UNSPECIFIED', 'W3C_TRACE_CONTEXT', 'GRPC_BIN', 'CLOUD_TRACE_CONTEXT', 'B3'];

/** Text or JSON labels; `labels: {}` is Envoy's default JSON format. */
const FileLogFormat = obj({ text: opt(str()), labels: opt(freeForm()) }, { oneOf: [['text', 'labels']] });

const OpenTelemetryTracingProvider = obj({
  ...serviceFields,
  maxTagLength: opt(uint32()),
  http: opt(
    obj({
      path: str('Path of the OTLP/HTTP endpoint.'),
      timeout: opt(duration()),
      headers: opt(listOf(obj({ name: str(), value: str() }))),
    }),
  ),
  resourceDetectors: opt(obj({ environment: opt(obj({})), dynatrace: opt(obj({})) })),
});

/** The provider kinds: the proto's `oneof provider`. */
const PROVIDER_FIELDS = {
  envoyExtAuthzHttp: opt(EnvoyExtAuthzHttpProvider),
  envoyExtAuthzGrpc: opt(EnvoyExtAuthzGrpcProvider),
  zipkin: opt(obj({ ...serviceFields, maxTagLength: opt(uint32()), enable64bitTraceId: opt(bool()) })),
  lightstep: opt(
    obj(
      { ...serviceFields, accessToken: opt(str()), maxTagLength: opt(uint32()) },
      { description: 'Deprecated: use opentelemetry.' },
    ),
  ),
  datadog: opt(obj({ ...serviceFields, maxTagLength: opt(uint32()) })),
  stackdriver: opt(
    obj({
      debug: opt(bool()),
      maxNumberOfAttributes: opt(int64()),
      maxNumberOfAnnotations: opt(int64()),
      maxNumberOfMessageEvents: opt(int64()),
      maxTagLength: opt(uint32()),
      logging: opt(obj({ labels: opt(stringMap()) })),
    }),
  ),
  opencensus: opt(
    obj(
      { ...serviceFields, context: opt(listOf(enumOf(TRACE_CONTEXTS))), maxTagLength: opt(uint32()) },
      { description: 'Deprecated: use opentelemetry.' },
    ),
  ),
  skywalking: opt(obj({ ...serviceFields, accessToken: opt(str()) })),
  opentelemetry: opt(OpenTelemetryTracingProvider),
  prometheus: opt(obj({})),
  envoyFileAccessLog: opt(
    obj({
      path: opt(str('File the access log is written to (default /dev/stdout).')),
      logFormat: opt(FileLogFormat),
    }),
  ),
  envoyHttpAls: opt(
    obj({
      ...serviceFields,
      logName: opt(str()),
      filterStateObjectsToLog: opt(stringList()),
      additionalRequestHeadersToLog: opt(stringList()),
      additionalResponseHeadersToLog: opt(stringList()),
      additionalResponseTrailersToLog: opt(stringList()),
    }),
  ),
  envoyTcpAls: opt(
    obj({ ...serviceFields, logName: opt(str()), filterStateObjectsToLog: opt(stringList()) }),
  ),
  envoyOtelAls: opt(
    obj({
      ...serviceFields,
      logName: opt(str()),
      logFormat: opt(obj({ text: opt(str()), labels: opt(freeForm()) })),
    }),
  ),
};

export type ExtensionProviderKind = keyof typeof PROVIDER_FIELDS;
export const EXTENSION_PROVIDER_KINDS = Object.keys(PROVIDER_FIELDS) as ExtensionProviderKind[];

/** Kinds that send checks, spans or logs to a `service` and `port`. */
export const NETWORKED_PROVIDER_KINDS: ReadonlySet<ExtensionProviderKind> = new Set(
  EXTENSION_PROVIDER_KINDS.filter((kind) => 'service' in PROVIDER_FIELDS[kind].properties),
);

export const ExtensionProvider = obj(
  { name: str('A unique name identifying the provider.'), ...PROVIDER_FIELDS },
  { oneOf: [EXTENSION_PROVIDER_KINDS] },
);
export type ExtensionProvider = Static<typeof ExtensionProvider>;

/** Istio's built-in providers, always defined unless MeshConfig redefines their names. */
export const DEFAULT_EXTENSION_PROVIDERS: readonly ExtensionProvider[] = [
  { name: 'prometheus', prometheus: {} },
  { name: 'stackdriver', stackdriver: {} },
  { name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } },
];
