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

/** Where a Sidecar `ingress` listener sends traffic: `127.0.0.1:8080`, `0.0.0.0:8080` (the workload IP) or `unix://path`. */
function ingressEndpointAddress(defaultEndpoint: string, ctx: SidecarContext): Obj | undefined {
  if (defaultEndpoint.startsWith('unix://'))
    return { pipe: { path: defaultEndpoint.slice('unix://'.length) } };
  const colon = defaultEndpoint.lastIndexOf(':');
  const port = Number(defaultEndpoint.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) return undefined;
  const host = defaultEndpoint.slice(0, colon);
  const address = host === '0.0.0.0' ? (ctx.proxy.ipAddresses[0] ?? '127.0.0.1') : host;
  return { socket_address: { address, port_value: port } };
}

/** `inbound|<port>||` for a Sidecar `ingress` listener: STATIC to its `defaultEndpoint`. */
function ingressCluster(port: number, address: Obj): Obj {
  const name = inboundClusterName(port);
  return {
    name,
    type: 'STATIC',
    connect_timeout: CONNECT_TIMEOUT,
    circuit_breakers: circuitBreakers(undefined),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
  };
}

/**
 * Clusters for this workload's own ports: one per target port, except that a Sidecar `ingress`
 * listener replaces the inbound of its port with a cluster to its `defaultEndpoint` (as Istio does).
 */
export function inboundClusters(ctx: SidecarContext): Obj[] {
  const sidecar = ctx.snapshot.sidecarFor(
    { namespace: ctx.proxy.namespace, labels: ctx.proxy.labels },
    ctx.mesh.rootNamespace,
  );
  const ingress: Obj[] = [];
  const ingressPorts = new Set<number>();
  for (const listener of sidecar?.spec.ingress ?? []) {
    const port = listener.port.number;
    const address = listener.defaultEndpoint
      ? ingressEndpointAddress(listener.defaultEndpoint, ctx)
      : undefined;
    if (port === undefined || !address || ingressPorts.has(port)) continue;
    ingressPorts.add(port);
    ingress.push(ingressCluster(port, address));
  }
  return [...ingress, ...ctx.inboundPorts.filter((p) => !ingressPorts.has(p.targetPort)).map(inboundCluster)];
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
