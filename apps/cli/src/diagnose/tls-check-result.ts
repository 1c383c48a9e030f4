import { tlsCheck, type TlsCheckRow } from '@mesh/xds';

import {
  instancesNamed,
  resolveService,
  sidecarProxyOf,
  DiagnoseError,
  type DiagnoseInstance,
  type DiagnoseMesh,
} from './diagnose-mesh.js';
import { adminGet } from './proxy-admin.js';
import { liveProofs, type LiveConnection, type TlsCheckResult } from './render-tls-check.js';

/**
 * `meshctl tls-check`'s result: the check over the client instance's generated config (libs/xds
 * `tlsCheck`), and on a running local mesh the live proof its sidecar's admin gives.
 */

/** `host[:port]` as the command's `<service>` argument takes it. */
function parseServiceArgument(text: string): { name: string; port?: number } {
  const match = /^(.+?)(?::(\d+))?$/.exec(text);
  if (match === null || match[1] === undefined) throw new DiagnoseError(`invalid service "${text}"`);
  return { name: match[1], ...(match[2] === undefined ? {} : { port: Number(match[2]) }) };
}

/** A row's verdict, as compared between the instances of a workload. */
const verdict = (row: TlsCheckRow) => `${row.status} ${row.client}`;
const rowKey = (row: TlsCheckRow) => `${row.host}:${row.port}${row.subset ? ` (subset ${row.subset})` : ''}`;

/**
 * Where another instance's check differs from the first one's: a service checked on one and not the
 * other (a Sidecar selecting one instance's labels), or another status or client TLS.
 */
function differences(first: string, rows: readonly TlsCheckRow[], other: readonly TlsCheckRow[]): string[] {
  const theirs = new Map(other.map((row) => [rowKey(row), row]));
  const ours = new Map(rows.map((row) => [rowKey(row), row]));
  const found: string[] = [];
  for (const [key, row] of ours) {
    const their = theirs.get(key);
    if (their === undefined) found.push(`${key}: not in its config (${first}: ${verdict(row)})`);
    else if (verdict(their) !== verdict(row))
      found.push(`${key}: ${verdict(their)} (${first}: ${verdict(row)})`);
  }
  for (const [key, their] of theirs)
    if (!ours.has(key)) found.push(`${key}: ${verdict(their)} (not in the config of ${first})`);
  return found;
}

export async function tlsCheckResult(
  mesh: DiagnoseMesh,
  workload: string,
  options: { namespace?: string; service?: string },
): Promise<TlsCheckResult> {
  const [instance, ...others] = instancesNamed(mesh, workload, options.namespace);
  if (instance === undefined) throw new DiagnoseError(`no instance "${workload}"`);
  if (!instance.sidecar)
    throw new DiagnoseError(
      `${instance.instance} has no sidecar: it sends whatever its application sends, no mesh TLS applies`,
    );
  const service = options.service === undefined ? undefined : parseServiceArgument(options.service);
  const host = service && resolveService(mesh, service.name, instance.namespace);
  const check = (client: DiagnoseInstance) =>
    tlsCheck(mesh.snapshot, sidecarProxyOf(client), {
      mesh: mesh.settings,
      ...(host === undefined ? {} : { host }),
      ...(service?.port === undefined ? {} : { port: service.port }),
    });
  const report = check(instance);
  // Every instance of the workload is checked: their labels may select other Sidecars.
  const disagreements = others
    .filter((other) => other.sidecar)
    .map((other) => ({
      instance: other.instance,
      differences: differences(instance.instance, report.rows, check(other).rows),
    }))
    .filter((d) => d.differences.length > 0);
  const conflicts = report.rows.filter((row) => row.status === 'CONFLICT').length;
  const result: TlsCheckResult = {
    source: mesh.source,
    instance: instance.instance,
    ...report,
    conflicts,
    ...(disagreements.length > 0 ? { disagreements } : {}),
  };
  if (mesh.source !== 'local') return result;
  const body = await adminGet(instance, '/upstream_connections');
  if (body === undefined)
    return { ...result, liveUnavailable: `the sidecar admin of ${instance.instance} did not answer` };
  const proofs = liveProofs((JSON.parse(body) as { connections: LiveConnection[] }).connections);
  return {
    ...result,
    rows: report.rows.map((row) => {
      const live = proofs.get(row.cluster);
      return live === undefined ? row : { ...row, live };
    }),
  };
}
