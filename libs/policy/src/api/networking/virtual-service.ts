import { type Static } from 'typebox';

import { Destination } from '../common.js';
import { int32, listOf, obj, opt, str, stringList, stringMap, uint32 } from '../schema-helpers.js';
import { HTTPRoute } from './http-route.js';

/** VirtualService (networking.istio.io): ordered HTTP, TLS and TCP routing rules for a set of hosts. */

export const RouteDestination = obj({
  destination: Destination,
  weight: opt(
    int32('Weight specifies the relative proportion of traffic to be forwarded to the destination.'),
  ),
});
export type RouteDestination = Static<typeof RouteDestination>;

export const TLSMatchAttributes = obj({
  sniHosts: stringList('SNI (server name indicator) to match on.'),
  destinationSubnets: opt(stringList('IPv4 or IPv6 ip addresses of destination with optional subnet.')),
  port: opt(uint32('Specifies the port on the host that is being addressed.')),
  sourceLabels: opt(stringMap()),
  gateways: opt(stringList('Names of gateways where the rule should be applied.')),
  sourceNamespace: opt(str()),
});
export type TLSMatchAttributes = Static<typeof TLSMatchAttributes>;

export const L4MatchAttributes = obj({
  destinationSubnets: opt(stringList('IPv4 or IPv6 ip addresses of destination with optional subnet.')),
  port: opt(uint32('Specifies the port on the host that is being addressed.')),
  sourceSubnet: opt(str()),
  sourceLabels: opt(stringMap()),
  gateways: opt(stringList('Names of gateways where the rule should be applied.')),
  sourceNamespace: opt(str()),
});
export type L4MatchAttributes = Static<typeof L4MatchAttributes>;

export const TLSRoute = obj({
  match: listOf(TLSMatchAttributes, 'Match conditions to be satisfied for the rule to be activated.'),
  route: opt(listOf(RouteDestination, 'The destination to which the connection should be forwarded to.')),
});
export type TLSRoute = Static<typeof TLSRoute>;

export const TCPRoute = obj({
  match: opt(listOf(L4MatchAttributes, 'Match conditions to be satisfied for the rule to be activated.')),
  route: opt(listOf(RouteDestination, 'The destination to which the connection should be forwarded to.')),
});
export type TCPRoute = Static<typeof TCPRoute>;

export const VirtualServiceSpec = obj(
  {
    hosts: opt(stringList('The destination hosts to which traffic is being sent.')),
    gateways: opt(stringList('The names of gateways and sidecars that should apply these routes.')),
    http: opt(listOf(HTTPRoute, 'An ordered list of route rules for HTTP traffic.')),
    tls: opt(listOf(TLSRoute, 'An ordered list of route rule for non-terminated TLS & HTTPS traffic.')),
    tcp: opt(listOf(TCPRoute, 'An ordered list of route rules for opaque TCP traffic.')),
    exportTo: opt(stringList('A list of namespaces to which this virtual service is exported.')),
  },
  {
    description:
      'Configuration affecting label/content routing, sni routing, etc. See more details at: https://istio.io/docs/reference/config/networking/virtual-service.html',
  },
);
export type VirtualServiceSpec = Static<typeof VirtualServiceSpec>;
