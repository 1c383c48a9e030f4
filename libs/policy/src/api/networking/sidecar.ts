import { type Static } from 'typebox';

import { ConnectionPoolSettings, Destination, NetworkingWorkloadSelector } from '../common.js';
import { enumOf, listOf, obj, opt, str, stringList } from '../schema-helpers.js';
import { ServerTLSSettings, SidecarPort } from './server-tls-settings.js';

/** Sidecar (networking.istio.io): scopes what a workload's proxy listens on and can reach. */

const CaptureMode = enumOf(['DEFAULT', 'IPTABLES', 'NONE']);

export const IstioIngressListener = obj({
  port: SidecarPort,
  bind: opt(str('The IP(IPv4 or IPv6) to which the listener should be bound.')),
  captureMode: opt(CaptureMode),
  defaultEndpoint: opt(str('The IP endpoint or Unix domain socket to which traffic should be forwarded to.')),
  tls: opt(ServerTLSSettings),
  connectionPool: opt(ConnectionPoolSettings),
});
export type IstioIngressListener = Static<typeof IstioIngressListener>;

export const IstioEgressListener = obj({
  port: opt(SidecarPort),
  bind: opt(str('The IP(IPv4 or IPv6) or the Unix domain socket to which the listener should be bound to.')),
  captureMode: opt(CaptureMode),
  hosts: stringList('One or more service hosts exposed by the listener in `namespace/dnsName` format.'),
});
export type IstioEgressListener = Static<typeof IstioEgressListener>;

export const OutboundTrafficPolicy = obj({
  mode: opt(enumOf(['REGISTRY_ONLY', 'ALLOW_ANY'])),
  egressProxy: opt(Destination),
});
export type OutboundTrafficPolicy = Static<typeof OutboundTrafficPolicy>;

export const SidecarSpec = obj(
  {
    workloadSelector: opt(NetworkingWorkloadSelector),
    ingress: opt(listOf(IstioIngressListener)),
    egress: opt(listOf(IstioEgressListener)),
    inboundConnectionPool: opt(ConnectionPoolSettings),
    outboundTrafficPolicy: opt(OutboundTrafficPolicy),
  },
  {
    description:
      'Configuration affecting network reachability of a sidecar. See more details at: https://istio.io/docs/reference/config/networking/sidecar.html',
  },
);
export type SidecarSpec = Static<typeof SidecarSpec>;
