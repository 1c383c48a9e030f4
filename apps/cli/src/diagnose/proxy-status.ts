import type { DiagnoseInstance } from './diagnose-mesh.js';
import { renderObject, table, type OutputFormat } from './render-output.js';

/**
 * `meshctl proxy-status`: every sidecar's xDS sync state per type, as istiod's `/debug/syncz` reports
 * it (`istioctl proxy-status -v 1`'s columns): SYNCED (the proxy ACKed what was sent), NOT SENT,
 * STALE (sent, not yet ACKed) or ERROR (NACKed, with the proxy's error), IGNORED for a type the proxy
 * never asked for; a sidecar of the mesh that istiod does not see at all is DISCONNECTED.
 */

/** One proxy of istiod's `/debug/syncz` answer (the fields read here). */
export interface SynczProxy {
  proxy: string;
  connectedAt?: string;
  types: Record<
    string,
    {
      status: string;
      sent?: { version: string };
      acked?: string;
      nack?: { version: string; message: string };
    }
  >;
}

export interface ProxyStatusRow {
  /** `<instance>.<namespace>` as istioctl names pods, or the node id for a proxy the mesh file does not name. */
  name: string;
  proxy?: string;
  connected: boolean;
  /** Sync state by xDS type (CDS, EDS, LDS, RDS, ...). */
  types: Record<string, string>;
  /** NACK errors by type. */
  errors: Record<string, string>;
}

export interface ProxyStatusResult {
  proxies: ProxyStatusRow[];
  /** Proxies not SYNCED on every type they subscribe to, or disconnected. */
  notSynced: number;
}

/** Istio's column order for `-v 1`. */
const TYPE_ORDER = ['CDS', 'ECDS', 'EDS', 'LDS', 'RDS'];

function instanceOf(nodeId: string, instances: readonly DiagnoseInstance[]): DiagnoseInstance | undefined {
  return instances.find((i) => isProxyOf(nodeId, i));
}

/** Whether a node id (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`) is the instance's: its pod, or its address. */
function isProxyOf(nodeId: string, instance: DiagnoseInstance): boolean {
  const [, ip, podDotNamespace] = nodeId.split('~');
  return (
    `${instance.instance}.${instance.namespace}` === podDotNamespace ||
    (instance.address === ip && instance.sidecar)
  );
}

/** The node id of the instance's proxy among those connected to istiod, if it is connected. */
export function connectedProxyId(
  syncz: readonly SynczProxy[],
  instance: DiagnoseInstance,
): string | undefined {
  return syncz.find((entry) => isProxyOf(entry.proxy, instance))?.proxy;
}

export function proxyStatus(
  syncz: readonly SynczProxy[],
  instances: readonly DiagnoseInstance[],
  only?: readonly DiagnoseInstance[],
): ProxyStatusResult {
  const rows: ProxyStatusRow[] = [];
  const seen = new Set<DiagnoseInstance>();
  for (const entry of syncz) {
    const instance = instanceOf(entry.proxy, instances);
    if (only && (instance === undefined || !only.includes(instance))) continue;
    if (instance) seen.add(instance);
    const types: Record<string, string> = {};
    const errors: Record<string, string> = {};
    for (const [type, state] of Object.entries(entry.types)) {
      types[type] = state.status;
      if (state.nack) errors[type] = `version ${state.nack.version}: ${state.nack.message}`;
    }
    rows.push({
      name: instance ? `${instance.instance}.${instance.namespace}` : entry.proxy,
      proxy: entry.proxy,
      connected: true,
      types,
      errors,
    });
  }
  for (const instance of only ?? instances)
    if (instance.sidecar && !seen.has(instance))
      rows.push({
        name: `${instance.instance}.${instance.namespace}`,
        connected: false,
        types: {},
        errors: {},
      });
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const notSynced = rows.filter(
    (r) => !r.connected || Object.values(r.types).some((status) => status !== 'SYNCED'),
  ).length;
  return { proxies: rows, notSynced };
}

export function renderProxyStatusText(result: ProxyStatusResult): string {
  const seenTypes = new Set(result.proxies.flatMap((p) => Object.keys(p.types)));
  // istioctl's columns always, then any other type a proxy subscribes to (SDS from istiod, say).
  const columns = [...TYPE_ORDER, ...[...seenTypes].filter((t) => !TYPE_ORDER.includes(t)).sort()];
  const rows = result.proxies.map((p) => [
    p.name,
    ...columns.map((type) => (!p.connected ? 'DISCONNECTED' : (p.types[type] ?? 'IGNORED'))),
  ]);
  const lines = [table(['NAME', ...columns], rows)];
  for (const proxy of result.proxies)
    for (const [type, error] of Object.entries(proxy.errors))
      lines.push(`ERROR ${proxy.name} ${type}: ${error}`);
  if (result.proxies.length === 0) lines.push('No proxies connected to istiod.');
  return lines.join('\n');
}

export function renderProxyStatus(result: ProxyStatusResult, format: OutputFormat): string {
  return renderObject(result, format) ?? renderProxyStatusText(result);
}
