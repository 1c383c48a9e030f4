import { TypeUrl, type AdsClient, type AdsClientNode } from '@mesh/xds';

import type { WorkloadCertificate } from '../agent/index.js';
import type { ClusterManager } from '../clusters/cluster-manager.js';
import type { ConfigSnapshot } from '../xds/proxy-config-state.js';

/**
 * Envoy's admin `/config_dump` and `/clusters`, from what the proxy holds: the dynamic listeners,
 * routes, clusters (and endpoints with `?include_eds`) with the version each came with, and the
 * secrets' metadata (the private key is never printed, as Envoy redacts it).
 */

const ADMIN = 'type.googleapis.com/envoy.admin.v3';
const REDACTED = Buffer.from('[redacted]').toString('base64');

export interface ConfigDumpSources {
  node: AdsClientNode;
  client: AdsClient;
  snapshot: ConfigSnapshot;
  certificate?: WorkloadCertificate;
  certificateIssuedAt?: Date;
}

function typed(typeUrl: string, resource: object): object {
  return { '@type': typeUrl, ...resource };
}

export function configDump(sources: ConfigDumpSources, includeEds: boolean): object {
  const { client, snapshot } = sources;
  const status = new Map(client.status().map((s) => [s.typeUrl, s]));
  const updated = (typeUrl: string) => snapshot.lastUpdated.get(typeUrl)?.toISOString();
  const held = (typeUrl: string) => [...client.resources(typeUrl).entries()];
  const cert = sources.certificate;
  const secrets = cert
    ? [
        {
          name: 'default',
          version_info: cert.serial,
          last_updated: (sources.certificateIssuedAt ?? cert.notBefore).toISOString(),
          secret: typed(`type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret`, {
            name: 'default',
            tls_certificate: {
              certificate_chain: { inline_bytes: Buffer.from(cert.certificateChainPem).toString('base64') },
              private_key: { inline_bytes: REDACTED },
            },
          }),
        },
        {
          name: 'ROOTCA',
          version_info: cert.serial,
          last_updated: (sources.certificateIssuedAt ?? cert.notBefore).toISOString(),
          secret: typed(`type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret`, {
            name: 'ROOTCA',
            validation_context: {
              trusted_ca: { inline_bytes: Buffer.from(cert.rootsPem).toString('base64') },
            },
          }),
        },
      ]
    : [];
  // A gateway's kubernetes:// credentials from istiod, their private keys redacted too.
  for (const [name, h] of held(TypeUrl.Secret)) {
    const resource = h.resource as { tls_certificate?: object };
    secrets.push({
      name,
      version_info: h.version,
      last_updated: updated(TypeUrl.Secret) ?? '',
      secret: typed(TypeUrl.Secret, {
        ...resource,
        ...(resource.tls_certificate
          ? { tls_certificate: { ...resource.tls_certificate, private_key: { inline_bytes: REDACTED } } }
          : {}),
      }),
    });
  }
  const configs: object[] = [
    typed(`${ADMIN}.BootstrapConfigDump`, { bootstrap: { node: sources.node } }),
    typed(`${ADMIN}.ListenersConfigDump`, {
      version_info: status.get(TypeUrl.Listener)?.ackedVersion ?? '',
      dynamic_listeners: held(TypeUrl.Listener).map(([name, h]) => ({
        name,
        active_state: {
          version_info: h.version,
          listener: typed(TypeUrl.Listener, h.resource),
          last_updated: updated(TypeUrl.Listener),
        },
      })),
    }),
    typed(`${ADMIN}.ClustersConfigDump`, {
      version_info: status.get(TypeUrl.Cluster)?.ackedVersion ?? '',
      dynamic_active_clusters: held(TypeUrl.Cluster).map(([, h]) => ({
        version_info: h.version,
        cluster: typed(TypeUrl.Cluster, h.resource),
        last_updated: updated(TypeUrl.Cluster),
      })),
    }),
    typed(`${ADMIN}.RoutesConfigDump`, {
      dynamic_route_configs: held(TypeUrl.RouteConfiguration).map(([, h]) => ({
        version_info: h.version,
        route_config: typed(TypeUrl.RouteConfiguration, h.resource),
        last_updated: updated(TypeUrl.RouteConfiguration),
      })),
    }),
    typed(`${ADMIN}.SecretsConfigDump`, { dynamic_active_secrets: secrets }),
  ];
  if (includeEds)
    configs.push(
      typed(`${ADMIN}.EndpointsConfigDump`, {
        dynamic_endpoint_configs: held(TypeUrl.ClusterLoadAssignment).map(([, h]) => ({
          version_info: h.version,
          endpoint_config: typed(TypeUrl.ClusterLoadAssignment, h.resource),
          last_updated: updated(TypeUrl.ClusterLoadAssignment),
        })),
      }),
    );
  return { configs };
}

/** Envoy's `/clusters` text: one `cluster::host::stat::value` line per endpoint statistic. */
export function clustersText(clusters: ClusterManager): string {
  const lines: string[] = [];
  for (const { name, endpoints } of clusters.list()) {
    lines.push(`${name}::observability_name::${name}`);
    for (const e of endpoints) {
      lines.push(`${name}::${e.key}::rq_active::${clusters.active.get(e.key) ?? 0}`);
      lines.push(
        `${name}::${e.key}::health_flags::${clusters.isEjected(e) ? '/failed_outlier_check' : 'healthy'}`,
      );
      lines.push(`${name}::${e.key}::outlier::success_rate::-1`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `/clusters?format=json`, shaped like Envoy's `envoy.admin.v3.Clusters`. */
export function clustersJson(clusters: ClusterManager): object {
  return {
    cluster_statuses: clusters.list().map(({ name, endpoints }) => ({
      name,
      host_statuses: endpoints.map((e) => ({
        address: { socket_address: { address: e.host, port_value: e.port } },
        stats: [{ name: 'rq_active', value: String(clusters.active.get(e.key) ?? 0), type: 'GAUGE' }],
        health_status: {
          eds_health_status: 'HEALTHY',
          ...(clusters.isEjected(e) ? { failed_outlier_check: true } : {}),
        },
      })),
    })),
  };
}
