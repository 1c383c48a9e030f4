import { inboundClusterName } from '../../resource-names.js';
import type { InboundPort, SidecarContext } from '../sidecar-context.js';
import { clusterMetadata } from './outbound-clusters.js';
import { circuitBreakers } from './traffic-policy.js';

type Obj = Record<string, unknown>;

const CONNECT_TIMEOUT = { seconds: 10 };

/**
 * Traffic passed through to its original destination is sent from 127.0.0.6, which the sidecar's
 * iptables rules exclude from capture, so it cannot loop back into the proxy.
 */
const INBOUND_PASSTHROUGH_BIND = {
  source_address: { address: '127.0.0.6', port_value: 0 },
};

/**
 * `inbound|<targetPort>||`: the application on localhost. (Istio before 1.10 did this; later versions
 * use an ORIGINAL_DST cluster to the pod IP bound to 127.0.0.6, which needs iptables capture.)
 */
function inboundCluster(inbound: InboundPort): Obj {
  const name = inboundClusterName(inbound.targetPort);
  return {
    name,
    type: 'STATIC',
    connect_timeout: CONNECT_TIMEOUT,
    circuit_breakers: circuitBreakers(undefined),
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: '127.0.0.1', port_value: inbound.targetPort } },
              },
            },
          ],
        },
      ],
    },
    metadata: clusterMetadata(inbound.service, undefined),
  };
}

/** Clusters for this workload's own ports, one per target port. */
export function inboundClusters(ctx: SidecarContext): Obj[] {
  return ctx.inboundPorts.map(inboundCluster);
}

/** Istio's fixed clusters: drop (`BlackHoleCluster`) and forward as addressed, out or in. */
export function specialClusters(): Obj[] {
  return [
    { name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: CONNECT_TIMEOUT },
    {
      name: 'PassthroughCluster',
      type: 'ORIGINAL_DST',
      connect_timeout: CONNECT_TIMEOUT,
      lb_policy: 'CLUSTER_PROVIDED',
      circuit_breakers: circuitBreakers(undefined),
    },
    {
      name: 'InboundPassthroughCluster',
      type: 'ORIGINAL_DST',
      connect_timeout: CONNECT_TIMEOUT,
      lb_policy: 'CLUSTER_PROVIDED',
      circuit_breakers: circuitBreakers(undefined),
      upstream_bind_config: INBOUND_PASSTHROUGH_BIND,
    },
  ];
}
