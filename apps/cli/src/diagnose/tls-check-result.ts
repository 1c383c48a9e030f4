import { tlsCheck } from '@mesh/xds';

import {
  instancesNamed,
  resolveService,
  sidecarProxyOf,
  DiagnoseError,
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

export async function tlsCheckResult(
  mesh: DiagnoseMesh,
  workload: string,
  options: { namespace?: string; service?: string },
): Promise<TlsCheckResult> {
  const [instance] = instancesNamed(mesh, workload, options.namespace);
  if (instance === undefined) throw new DiagnoseError(`no instance "${workload}"`);
  if (!instance.sidecar)
    throw new DiagnoseError(
      `${instance.instance} has no sidecar: it sends whatever its application sends, no mesh TLS applies`,
    );
  const service = options.service === undefined ? undefined : parseServiceArgument(options.service);
  const host = service && resolveService(mesh, service.name, instance.namespace);
  const report = tlsCheck(mesh.snapshot, sidecarProxyOf(instance), {
    mesh: mesh.settings,
    ...(host === undefined ? {} : { host }),
    ...(service?.port === undefined ? {} : { port: service.port }),
  });
  const conflicts = report.rows.filter((row) => row.status === 'CONFLICT').length;
  const result: TlsCheckResult = { source: mesh.source, instance: instance.instance, ...report, conflicts };
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
