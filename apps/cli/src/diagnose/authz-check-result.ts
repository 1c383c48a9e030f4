import { authzCheck, buildSidecarContext, type AuthzRequest } from '@mesh/xds';

import { instancesNamed, sidecarProxyOf, DiagnoseError, type DiagnoseMesh } from './diagnose-mesh.js';
import type { AuthzCheckResult } from './render-authz-check.js';

/**
 * `meshctl authz check`'s result: the server instance's generated RBAC filters and, for a described
 * request, their decision (libs/xds `authzCheck`, the engine the proxy runs).
 */

export interface CallerOptions {
  from?: string;
  principal?: string;
  /** A caller in this namespace with its `default` service account. */
  namespace?: string;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: readonly string[];
  port?: number;
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** `--header k=v` (repeatable; a header given twice has both values). */
function parseHeaders(pairs: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new DiagnoseError(`invalid --header "${pair}": expected name=value`);
    const name = pair.slice(0, at).trim().toLowerCase();
    (headers[name] ??= []).push(pair.slice(at + 1));
  }
  return headers;
}

/** The caller's identity and address as the server's sidecar would see them. */
function caller(mesh: DiagnoseMesh, options: CallerOptions) {
  const given = [options.from, options.principal, options.namespace].filter((v) => v !== undefined);
  if (given.length > 1) throw new DiagnoseError('give at most one of --from, --principal and --namespace');
  const { trustDomain } = mesh.settings;
  if (options.principal !== undefined) return { principal: options.principal.replace(/^spiffe:\/\//, '') };
  if (options.namespace !== undefined)
    return { principal: `${trustDomain}/ns/${options.namespace}/sa/default` };
  if (options.from === undefined) return {};
  const [from] = instancesNamed(mesh, options.from);
  if (from === undefined) return {};
  // A caller without a sidecar speaks plaintext: no identity reaches the server.
  return {
    ...(from.sidecar ? { principal: `${trustDomain}/ns/${from.namespace}/sa/${from.serviceAccount}` } : {}),
    sourceIp: from.address,
  };
}

export function authzCheckResult(
  mesh: DiagnoseMesh,
  workload: string,
  options: { namespace?: string; caller: CallerOptions; request: RequestOptions },
): AuthzCheckResult {
  const [instance] = instancesNamed(mesh, workload, options.namespace);
  if (instance === undefined) throw new DiagnoseError(`no instance "${workload}"`);
  if (!instance.sidecar)
    throw new DiagnoseError(
      `${instance.instance} has no sidecar: no authorization policy is enforced for it`,
    );
  const proxy = sidecarProxyOf(instance);
  const { caller: who, request } = options;
  const describes =
    Object.values(who).some((v) => v !== undefined) ||
    Object.values(request).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
  if (!describes) {
    const report = authzCheck(mesh.snapshot, proxy, undefined, mesh.settings);
    return { source: mesh.source, instance: instance.instance, ...report };
  }
  const inbound = buildSidecarContext(mesh.snapshot, proxy, mesh.settings).inboundPorts;
  const port = request.port ?? (inbound.length === 1 ? inbound[0]?.targetPort : undefined);
  if (port === undefined)
    throw new DiagnoseError(
      `${instance.instance} serves ${inbound.map((p) => p.targetPort).join(', ') || 'no port'}: name the port with --port`,
    );
  const served = inbound.find((p) => p.targetPort === port);
  const http = served === undefined || HTTP_PROTOCOLS.has(served.port.protocol.toUpperCase());
  const described: AuthzRequest = {
    port,
    protocol: http ? 'http' : 'tcp',
    ...caller(mesh, who),
    ...(http ? { method: request.method ?? 'GET', path: request.path ?? '/' } : {}),
    ...(http && request.headers?.length ? { headers: parseHeaders(request.headers) } : {}),
  };
  if (!http && (request.method ?? request.path ?? request.headers?.[0]) !== undefined)
    throw new DiagnoseError(`port ${port} carries TCP: --method, --path and --header do not apply`);
  const report = authzCheck(mesh.snapshot, proxy, described, mesh.settings);
  return { source: mesh.source, instance: instance.instance, ...report };
}
