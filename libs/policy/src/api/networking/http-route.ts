import { type Static } from 'typebox';

import { Destination, Headers, Percent, StringMatch } from '../common.js';
import {
  bool,
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
  stringMap,
  uint32,
} from '../schema-helpers.js';

/** `HTTPRoute` of a VirtualService and the messages it is made of. */

export const HTTPMatchRequest = obj({
  name: opt(str('The name assigned to a match.')),
  uri: opt(StringMatch),
  scheme: opt(StringMatch),
  method: opt(StringMatch),
  authority: opt(StringMatch),
  headers: opt(mapOf(StringMatch, 'The header keys must be lowercase and use hyphen as the separator, e.g.')),
  port: opt(uint32('Specifies the ports on the host that is being addressed.')),
  sourceLabels: opt(stringMap()),
  gateways: opt(stringList('Names of gateways where the rule should be applied.')),
  queryParams: opt(mapOf(StringMatch, 'Query parameters for matching.')),
  ignoreUriCase: opt(bool('Flag to specify whether the URI matching should be case-insensitive.')),
  withoutHeaders: opt(
    mapOf(StringMatch, 'withoutHeader has the same syntax with the header, but has opposite meaning.'),
  ),
  sourceNamespace: opt(
    str('Source namespace constraining the applicability of a rule to workloads in that namespace.'),
  ),
  statPrefix: opt(str('The human readable prefix to use when emitting statistics for this route.')),
});
export type HTTPMatchRequest = Static<typeof HTTPMatchRequest>;

export const HTTPRouteDestination = obj({
  destination: Destination,
  weight: opt(
    int32('Weight specifies the relative proportion of traffic to be forwarded to the destination.'),
  ),
  headers: opt(Headers),
});
export type HTTPRouteDestination = Static<typeof HTTPRouteDestination>;

export const HTTPRedirect = obj(
  {
    uri: opt(str('On a redirect, overwrite the Path portion of the URL with this value.')),
    prefixRewrite: opt(
      str('On a redirect, rewrite the matched prefix of the path (not the full path) with this value.'),
    ),
    authority: opt(str('On a redirect, overwrite the Authority/Host portion of the URL with this value.')),
    port: opt(uint32('On a redirect, overwrite the port portion of the URL with this value.')),
    derivePort: opt(enumOf(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'])),
    scheme: opt(str('On a redirect, overwrite the scheme portion of the URL with this value.')),
    redirectCode: opt(
      uint32('On a redirect, Specifies the HTTP status code to use in the redirect response.'),
    ),
  },
  // Envoy's redirect replaces the whole path or its matched prefix, never both.
  {
    oneOf: [
      ['port', 'derivePort'],
      ['uri', 'prefixRewrite'],
    ],
  },
);
export type HTTPRedirect = Static<typeof HTTPRedirect>;

export const HTTPDirectResponse = obj({
  status: uint32('Specifies the HTTP response status to be returned.'),
  body: opt(
    obj(
      // `byte` as in Istio's CRD: the API server then refuses what is not base64. TypeBox passes formats
      // it has no check for; the base64 rule itself is in validation (rules/http-policies.ts).
      { string: opt(str()), bytes: opt(str('response body as base64 encoded bytes.', { format: 'byte' })) },
      { oneOf: [['string', 'bytes']] },
    ),
  ),
});
export type HTTPDirectResponse = Static<typeof HTTPDirectResponse>;

export const HTTPRewrite = obj({
  uri: opt(str('rewrite the path (or the prefix) portion of the URI with this value.')),
  authority: opt(str('rewrite the Authority/Host header with this value.')),
  uriRegexRewrite: opt(obj({ match: opt(str()), rewrite: opt(str()) })),
});
export type HTTPRewrite = Static<typeof HTTPRewrite>;

export const HTTPRetry = obj({
  attempts: opt(int32('Number of retries to be allowed for a given request.')),
  perTryTimeout: opt(
    duration('Timeout per attempt for a given request, including the initial call and any retries.'),
  ),
  retryOn: opt(str('Specifies the conditions under which retry takes place.')),
  retryRemoteLocalities: opt(nullableBool()),
  retryIgnorePreviousHosts: opt(nullableBool()),
  backoff: opt(duration('Specifies the minimum duration between retry attempts.')),
});
export type HTTPRetry = Static<typeof HTTPRetry>;

export const HTTPFaultInjection = obj({
  delay: opt(
    obj(
      {
        fixedDelay: opt(duration('Add a fixed delay before forwarding the request.')),
        exponentialDelay: opt(duration()),
        percent: opt(int32('Percentage of requests on which the delay will be injected (0-100).')),
        percentage: opt(Percent),
      },
      { oneOf: [['fixedDelay', 'exponentialDelay']] },
    ),
  ),
  abort: opt(
    obj(
      {
        httpStatus: opt(int32('HTTP status code to use to abort the Http request.')),
        grpcStatus: opt(str('GRPC status code to use to abort the request.')),
        http2Error: opt(str()),
        percentage: opt(Percent),
      },
      { oneOf: [['httpStatus', 'grpcStatus', 'http2Error']] },
    ),
  ),
});
export type HTTPFaultInjection = Static<typeof HTTPFaultInjection>;

export const CorsPolicy = obj({
  allowOrigin: opt(stringList()),
  allowOrigins: opt(listOf(StringMatch, 'String patterns that match allowed origins.')),
  allowMethods: opt(stringList('List of HTTP methods allowed to access the resource.')),
  allowHeaders: opt(stringList()),
  exposeHeaders: opt(stringList()),
  maxAge: opt(duration('Specifies how long the results of a preflight request can be cached.')),
  allowCredentials: opt(nullableBool()),
  unmatchedPreflights: opt(enumOf(['UNSPECIFIED', 'FORWARD', 'IGNORE'])),
});
export type CorsPolicy = Static<typeof CorsPolicy>;

export const HTTPMirrorPolicy = obj({ destination: Destination, percentage: opt(Percent) });

export const HTTPRoute = obj({
  name: opt(str('The name assigned to the route for debugging purposes.')),
  match: opt(listOf(HTTPMatchRequest, 'Match conditions to be satisfied for the rule to be activated.')),
  route: opt(listOf(HTTPRouteDestination)),
  redirect: opt(HTTPRedirect),
  directResponse: opt(HTTPDirectResponse),
  delegate: opt(obj({ name: opt(str()), namespace: opt(str()) })),
  rewrite: opt(HTTPRewrite),
  timeout: opt(duration('Timeout for HTTP requests, default is disabled.')),
  retries: opt(HTTPRetry),
  fault: opt(HTTPFaultInjection),
  mirror: opt(Destination),
  mirrors: opt(listOf(HTTPMirrorPolicy)),
  mirrorPercent: opt(uint32(undefined, { nullable: true })),
  mirror_percent: opt(uint32(undefined, { nullable: true })),
  mirrorPercentage: opt(Percent),
  corsPolicy: opt(CorsPolicy),
  headers: opt(Headers),
});
export type HTTPRoute = Static<typeof HTTPRoute>;
