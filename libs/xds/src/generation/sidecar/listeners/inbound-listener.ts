import { mtlsModeForPort, type EffectiveMtlsMode } from '@mesh/policy';

import { filterOf, KNOWN_FILTERS } from '../../../envoy/known-filters.js';
import { inboundClusterName } from '../../resource-names.js';
import type { InboundPort, SidecarContext } from '../sidecar-context.js';
import { buildRbacFilters } from './rbac-filters.js';
import type { ExplicitIngressListener } from './sidecar-listeners-explicit.js';
import { ALL_ISTIO_MTLS_ALPNS, istioMtlsTransportSocket, MTLS_TCP_ALPNS } from './tls-context.js';
import {
  BLACKHOLE_CLUSTER,
  INBOUND_PASSTHROUGH_CLUSTER,
  isHttpProtocol,
  socketAddress,
  tcpProxy,
  WEBSOCKET_UPGRADE,
} from './listener-common.js';

/**
 * `virtualInbound` (0.0.0.0:15006), where iptables redirects inbound traffic, as istiod builds it
 * (`pilot/pkg/networking/core/listener_inbound.go`): a filter chain set per served port, matched on
 * the original destination port and shaped by the port's PeerAuthentication mode, plus passthrough
 * chains to `InboundPassthroughCluster` for ports no service declares. Every chain carries the
 * workload's RBAC filters. Listener filters (original_dst, tls_inspector, http_inspector) are left
 * out: our proxy restores the original destination and sniffs TLS itself.
 */

type Obj = Record<string, unknown>;

export const VIRTUAL_INBOUND = 'virtualInbound';
export const VIRTUAL_INBOUND_PORT = 15006;

/** One filter chain of a port: how it is matched and whether it terminates Istio mTLS. */
interface ChainVariant {
  /** Appended to the chain name; the mTLS chain keeps Istio's name. */
  suffix: string;
  match: Obj;
  mtls: boolean;
}

const RAW_BUFFER = { transport_protocol: 'raw_buffer' };
const TLS = { transport_protocol: 'tls' };

/**
 * istiod's `getFilterChainMatchOptions` for a declared protocol: STRICT only accepts TLS; PERMISSIVE
 * adds plaintext (and, for TCP, one-way TLS from a client without a sidecar, passed through); DISABLE
 * accepts whatever arrives without terminating TLS.
 */
function chainVariants(mode: EffectiveMtlsMode, http: boolean): ChainVariant[] {
  const plaintext = { suffix: '-plaintext', match: RAW_BUFFER, mtls: false };
  switch (mode) {
    case 'STRICT':
      return [{ suffix: '', match: TLS, mtls: true }];
    case 'PERMISSIVE':
      return http
        ? [
            { suffix: '', match: { ...TLS, application_protocols: ALL_ISTIO_MTLS_ALPNS }, mtls: true },
            plaintext,
          ]
        : [
            { suffix: '', match: { ...TLS, application_protocols: MTLS_TCP_ALPNS }, mtls: true },
            { suffix: '-tls', match: TLS, mtls: false },
            plaintext,
          ];
    case 'DISABLE':
      return [{ suffix: '-plaintext', match: {}, mtls: false }];
  }
}

function inboundHttpManager(ctx: SidecarContext, targetPort: number, bind: string): Obj {
  const cluster = inboundClusterName(targetPort);
  return filterOf(KNOWN_FILTERS.httpConnectionManager, {
    stat_prefix: `inbound_${bind}_${targetPort}`,
    // Istio's default path normalization (BASE): RBAC must see `/a/../admin` as `/admin`.
    normalize_path: { value: true },
    route_config: {
      name: cluster,
      virtual_hosts: [
        {
          name: `inbound|http|${targetPort}`,
          domains: ['*'],
          routes: [
            {
              name: 'default',
              match: { prefix: '/' },
              // Istio disables Envoy's 15s default: the caller's sidecar owns the timeout.
              route: { cluster, timeout: { seconds: 0 } },
            },
          ],
        },
      ],
      validate_clusters: { value: false },
    },
    http_filters: [...buildRbacFilters(ctx.authorization, 'http'), filterOf(KNOWN_FILTERS.router)],
    // The app sees the caller's verified identity in x-forwarded-client-cert, and only that: whatever
    // XFCC a caller sends is dropped (SANITIZE_SET), so a workload holding a mesh certificate cannot
    // prepend identities it does not have by skipping its own sidecar. (Istio's sidecars use
    // APPEND_FORWARD; between two sidecars both give the app the same single element.)
    forward_client_cert_details: 'SANITIZE_SET',
    set_current_client_cert_details: { subject: { value: true }, dns: true, uri: true },
    use_remote_address: { value: false },
    upgrade_configs: [WEBSOCKET_UPGRADE],
  });
}

/**
 * The chains of one served port, to `inbound|<targetPort>||`. In `virtualInbound` they match the original
 * destination port; a listener bound to the port (a Sidecar ingress listener) needs no port match.
 */
function portChains(
  ctx: SidecarContext,
  targetPort: number,
  http: boolean,
  { bind = '0.0.0.0', matchPort = true }: { bind?: string; matchPort?: boolean } = {},
): Obj[] {
  const cluster = inboundClusterName(targetPort);
  const filters = http
    ? [inboundHttpManager(ctx, targetPort, bind)]
    : [...buildRbacFilters(ctx.authorization, 'tcp'), tcpProxy(cluster)];
  return chainVariants(mtlsModeForPort(ctx.peerAuthentication, targetPort), http).map((variant) => {
    const match = { ...(matchPort ? { destination_port: { value: targetPort } } : {}), ...variant.match };
    return {
      name: `${bind}_${targetPort}${variant.suffix}`,
      ...(Object.keys(match).length > 0 ? { filter_chain_match: match } : {}),
      filters,
      ...(variant.mtls ? { transport_socket: istioMtlsTransportSocket(http, ctx.mesh.meshMtls) } : {}),
    };
  });
}

function servedPortChains(ctx: SidecarContext, inbound: InboundPort): Obj[] {
  return portChains(ctx, inbound.targetPort, isHttpProtocol(inbound.port.protocol));
}

/**
 * Passthrough chains for ports without a service, by the workload-wide mode. Istio also sniffs HTTP
 * here (`virtualInbound-catchall-http`); we treat all such traffic as TCP, so the mTLS chain accepts
 * every Istio ALPN.
 */
function passthroughChains(ctx: SidecarContext): Obj[] {
  const filters = [...buildRbacFilters(ctx.authorization, 'tcp'), tcpProxy(INBOUND_PASSTHROUGH_CLUSTER)];
  const variants: ChainVariant[] =
    ctx.peerAuthentication.mode === 'PERMISSIVE'
      ? [
          { suffix: '', match: { ...TLS, application_protocols: ALL_ISTIO_MTLS_ALPNS }, mtls: true },
          { suffix: '-tls', match: TLS, mtls: false },
          { suffix: '-plaintext', match: RAW_BUFFER, mtls: false },
        ]
      : chainVariants(ctx.peerAuthentication.mode, false);
  return variants.map((variant) => ({
    name: `${VIRTUAL_INBOUND}${variant.suffix}`,
    ...(Object.keys(variant.match).length > 0 ? { filter_chain_match: variant.match } : {}),
    filters,
    ...(variant.mtls ? { transport_socket: istioMtlsTransportSocket(false, ctx.mesh.meshMtls) } : {}),
  }));
}

export function virtualInboundListener(ctx: SidecarContext): Obj {
  return {
    name: VIRTUAL_INBOUND,
    address: socketAddress('0.0.0.0', VIRTUAL_INBOUND_PORT),
    filter_chains: [
      // Traffic addressed to 15006 itself would loop.
      {
        name: `${VIRTUAL_INBOUND}-blackhole`,
        filter_chain_match: { destination_port: { value: VIRTUAL_INBOUND_PORT } },
        filters: [tcpProxy(BLACKHOLE_CLUSTER)],
      },
      ...passthroughChains(ctx),
      ...ctx.inboundPorts.flatMap((inbound) => servedPortChains(ctx, inbound)),
    ],
    traffic_direction: 'INBOUND',
  };
}

/**
 * A Sidecar ingress listener bound to `<bind>:<port>` (Istio's inbound listener for a port that is not
 * captured, `listener_inbound.go`): the same chains `virtualInbound` has for a served port, shaped by the
 * port's PeerAuthentication mode and carrying the workload's RBAC filters, forwarding to
 * `inbound|<port>||`, which CDS points at the ingress `defaultEndpoint`.
 */
export function explicitIngressListener(ctx: SidecarContext, ingress: ExplicitIngressListener): Obj {
  return {
    name: ingress.name,
    address: socketAddress(ingress.bind, ingress.port),
    filter_chains: portChains(ctx, ingress.port, ingress.http, { bind: ingress.bind, matchPort: false }),
    bind_to_port: { value: true },
    traffic_direction: 'INBOUND',
  };
}
