import { X509Certificate } from 'node:crypto';

import { compiledFilterChain, filterChainsOf, parseOutboundClusterName, type EnvoyListener } from '@mesh/xds';

import { renderObject, table, type OutputFormat } from './render-output.js';

/**
 * `meshctl proxy-config`: istioctl's short summaries (istio-facts §1.2) of what a sidecar's admin
 * reports — clusters, listeners, routes and secrets from Envoy's `/config_dump`, endpoints from
 * `/clusters?format=json`, log levels from `/logging`. Pure: each takes the admin's answer.
 */

type Obj = Record<string, unknown>;

export type ProxyConfigType = 'cluster' | 'listener' | 'route' | 'endpoint' | 'secret' | 'log';

export const PROXY_CONFIG_TYPES: readonly ProxyConfigType[] = [
  'cluster',
  'listener',
  'route',
  'endpoint',
  'secret',
  'log',
];

/** The admin path each summary reads. */
export const ADMIN_PATH: Record<ProxyConfigType, string> = {
  cluster: '/config_dump',
  listener: '/config_dump',
  route: '/config_dump',
  secret: '/config_dump',
  endpoint: '/clusters?format=json',
  log: '/logging',
};

/** Columns and rows: what the table shows and `-o json|yaml` prints. */
export interface ProxyConfigSummary {
  type: ProxyConfigType;
  columns: string[];
  rows: Record<string, string>[];
}

/** The resources of one kind in a config dump (`dynamic_*` lists of its `*ConfigDump` entry). */
function dumped(dump: Obj, kind: string, list: string, field: string): Obj[] {
  const configs = (dump['configs'] ?? []) as Obj[];
  const entry = configs.find((c) => String(c['@type'] ?? '').endsWith(`.${kind}`)) ?? {};
  return ((entry[list] ?? []) as Obj[]).map((item) => {
    const nested = field.split('.').reduce<unknown>((at, key) => (at as Obj | undefined)?.[key], item);
    return (nested ?? {}) as Obj;
  });
}

/** Istio's breadcrumb `filter_metadata.istio.config` (a Struct or plain JSON) as `name.namespace`. */
function istioConfigRef(resource: Obj): string {
  const istio = ((resource['metadata'] as Obj | undefined)?.['filter_metadata'] as Obj | undefined)?.[
    'istio'
  ] as Obj | undefined;
  const fields = istio?.['fields'] as Obj | undefined;
  const path = (fields?.['config'] as Obj | undefined)?.['string_value'] ?? istio?.['config'];
  const match = typeof path === 'string' ? /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(path) : null;
  return match ? `${match[2]}.${match[1]}` : '-';
}

function summary(type: ProxyConfigType, columns: string[], rows: string[][]): ProxyConfigSummary {
  return {
    type,
    columns,
    rows: rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i] ?? '']))),
  };
}

export function clusterSummary(dump: Obj): ProxyConfigSummary {
  const rows = dumped(dump, 'ClustersConfigDump', 'dynamic_active_clusters', 'cluster').map((cluster) => {
    const name = String(cluster['name'] ?? '');
    const outbound = parseOutboundClusterName(name);
    const inbound = /^inbound\|(\d+)\|\|/.exec(name);
    const type = String(cluster['type'] ?? 'EDS');
    if (outbound)
      return [
        outbound.hostname,
        String(outbound.port),
        outbound.subset || '-',
        'outbound',
        type,
        istioConfigRef(cluster),
      ];
    if (inbound) return [name.split('|')[3] || name, inbound[1] ?? '', '-', 'inbound', type, '-'];
    return [name, '-', '-', '-', type, '-'];
  });
  rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || Number(a[1]) - Number(b[1]));
  return summary(
    'cluster',
    ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'],
    rows,
  );
}

/** A filter chain's match as istioctl prints it: `ALL`, or its port, transport, ALPN and SNI parts. */
function matchText(match: Obj | undefined): string {
  if (match === undefined || Object.keys(match).length === 0) return 'ALL';
  const parts: string[] = [];
  const port = (match['destination_port'] as { value?: number } | undefined)?.value;
  if (port !== undefined) parts.push(`Port: ${port}`);
  if (match['transport_protocol']) parts.push(`Trans: ${String(match['transport_protocol'])}`);
  const alpn = match['application_protocols'] as string[] | undefined;
  if (alpn?.length) parts.push(`App: ${alpn.join(',')}`);
  const sni = match['server_names'] as string[] | undefined;
  if (sni?.length) parts.push(`SNI: ${sni.join(',')}`);
  return parts.join('; ') || 'ALL';
}

export function listenerSummary(dump: Obj): ProxyConfigSummary {
  const rows: string[][] = [];
  for (const listener of dumped(dump, 'ListenersConfigDump', 'dynamic_listeners', 'active_state.listener')) {
    const envoy = listener as unknown as EnvoyListener;
    const socket = envoy.address?.socket_address ?? {};
    for (const chain of filterChainsOf(envoy)) {
      const compiled = compiledFilterChain(envoy, chain);
      const routes = compiled.http?.routes;
      const destination = routes
        ? 'rds' in routes
          ? `Route: ${routes.rds}`
          : 'Inline Route'
        : compiled.tcp
          ? `Cluster: ${compiled.tcp.clusters.entries.map((e) => e.name).join(',')}`
          : 'Non-HTTP/Non-TCP';
      rows.push([
        socket.address ?? '',
        String(socket.port_value ?? ''),
        matchText(chain.filter_chain_match as Obj | undefined),
        destination,
      ]);
    }
  }
  return summary('listener', ['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION'], rows);
}

function routeMatchText(route: Obj): string {
  const match = (route['match'] ?? {}) as Obj;
  if (typeof match['path'] === 'string') return match['path'];
  if (typeof match['prefix'] === 'string') return `${match['prefix']}*`;
  const regex = (match['safe_regex'] as Obj | undefined)?.['regex'];
  return typeof regex === 'string' ? `regex ${regex}` : '/*';
}

export function routeSummary(dump: Obj): ProxyConfigSummary {
  const rows: string[][] = [];
  for (const config of dumped(dump, 'RoutesConfigDump', 'dynamic_route_configs', 'route_config'))
    for (const vhost of (config['virtual_hosts'] ?? []) as Obj[])
      for (const route of (vhost['routes'] ?? []) as Obj[])
        rows.push([
          String(config['name'] ?? ''),
          String(vhost['name'] ?? ''),
          ((vhost['domains'] ?? []) as string[]).join(','),
          routeMatchText(route),
          istioConfigRef(route),
        ]);
  return summary('route', ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], rows);
}

function pemOf(bytes: unknown): string {
  return typeof bytes === 'string' ? Buffer.from(bytes, 'base64').toString('utf8') : '';
}

export function secretSummary(dump: Obj, now: Date): ProxyConfigSummary {
  const rows = dumped(dump, 'SecretsConfigDump', 'dynamic_active_secrets', 'secret').map((secret) => {
    const chain = (secret['tls_certificate'] as Obj | undefined)?.['certificate_chain'] as Obj | undefined;
    const ca = (secret['validation_context'] as Obj | undefined)?.['trusted_ca'] as Obj | undefined;
    const pem = pemOf((chain ?? ca)?.['inline_bytes']);
    const name = String(secret['name'] ?? '');
    const type = chain ? 'Cert Chain' : 'CA';
    try {
      const cert = new X509Certificate(pem);
      const valid = Date.parse(cert.validFrom) <= now.getTime() && now.getTime() < Date.parse(cert.validTo);
      const iso = (text: string) => new Date(text).toISOString();
      return [
        name,
        type,
        'ACTIVE',
        String(valid),
        cert.serialNumber.toLowerCase(),
        iso(cert.validTo),
        iso(cert.validFrom),
      ];
    } catch {
      return [name, type, 'ACTIVE', 'false', '-', '-', '-'];
    }
  });
  return summary(
    'secret',
    ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE'],
    rows,
  );
}

export function endpointSummary(clusters: Obj): ProxyConfigSummary {
  const rows: string[][] = [];
  for (const cluster of (clusters['cluster_statuses'] ?? []) as Obj[])
    for (const host of (cluster['host_statuses'] ?? []) as Obj[]) {
      const socket = ((host['address'] as Obj | undefined)?.['socket_address'] ?? {}) as Obj;
      const health = (host['health_status'] ?? {}) as Obj;
      rows.push([
        `${String(socket['address'] ?? '')}:${String(socket['port_value'] ?? '')}`,
        String(health['eds_health_status'] ?? 'HEALTHY'),
        health['failed_outlier_check'] === true ? 'FAILED' : 'OK',
        String(cluster['name'] ?? ''),
      ]);
    }
  return summary('endpoint', ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'], rows);
}

/** Envoy's `/logging` text: `active loggers:` then `  <logger>: <level>` lines. */
export function logSummary(text: string): ProxyConfigSummary {
  const rows = [...text.matchAll(/^\s+([\w.-]+): (\w+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']);
  return summary('log', ['LOGGER', 'LEVEL'], rows);
}

/** The summary of `type` from the admin's answer to `ADMIN_PATH[type]`. */
export function proxyConfigSummary(
  type: ProxyConfigType,
  body: string,
  now = new Date(),
): ProxyConfigSummary {
  if (type === 'log') return logSummary(body);
  const json = JSON.parse(body) as Obj;
  switch (type) {
    case 'cluster':
      return clusterSummary(json);
    case 'listener':
      return listenerSummary(json);
    case 'route':
      return routeSummary(json);
    case 'secret':
      return secretSummary(json, now);
    case 'endpoint':
      return endpointSummary(json);
  }
}

export function renderProxyConfig(result: ProxyConfigSummary, format: OutputFormat): string {
  const rows = result.rows.map((row) => result.columns.map((column) => row[column] ?? ''));
  return renderObject(result, format) ?? table(result.columns, rows);
}
