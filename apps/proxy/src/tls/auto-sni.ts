import { isIP } from 'node:net';

import type { EnvoyCluster, EnvoyTransportSocket } from '@mesh/xds';

import { destinationServiceOf } from '../telemetry/traffic-reporter.js';

/**
 * Envoy's `auto_sni` and `auto_san_validation` (a cluster's `HttpProtocolOptions`, which Istio sets
 * when a DestinationRule originates TLS without naming `sni`): the SNI is the name of the host the
 * traffic is for, and the server's certificate must carry that name as a DNS SAN. Envoy takes the
 * name from each request's Host; here it is the host the cluster reaches, which requests are routed
 * to by: the endpoint's DNS name (a `resolution: DNS` ServiceEntry), else the service host of the
 * cluster's Istio metadata. The result is the transport socket with `sni` set and Envoy's
 * `auto_sni_san_validation`; with no name to be had (a wildcard host on IP endpoints), validation
 * is still asked for, so the connection is refused rather than left unverified.
 */

type Obj = Record<string, unknown>;

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function serverName(cluster: EnvoyCluster, endpointHost: string): string | undefined {
  if (isIP(endpointHost) === 0) return endpointHost;
  const host = destinationServiceOf(cluster, undefined).host;
  return host !== 'unknown' && !host.startsWith('*') ? host : undefined;
}

export function withAutoSni(
  cluster: EnvoyCluster,
  transport: EnvoyTransportSocket | undefined,
  endpointHost: string,
): EnvoyTransportSocket | undefined {
  const protocolOptions = (cluster as { typed_extension_protocol_options?: Record<string, Obj> })
    .typed_extension_protocol_options?.[HTTP_PROTOCOL_OPTIONS];
  const auto = protocolOptions?.['upstream_http_protocol_options'] as
    { auto_sni?: boolean; auto_san_validation?: boolean } | undefined;
  const context = transport?.typed_config;
  if (!transport || !context || !auto?.auto_sni || context['sni']) return transport;
  const name = serverName(cluster, endpointHost);
  return {
    ...transport,
    typed_config: {
      ...context,
      ...(name ? { sni: name } : {}),
      ...(auto.auto_san_validation ? { auto_sni_san_validation: true } : {}),
    },
  };
}
