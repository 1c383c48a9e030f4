import { runRbacFilters, type EnvoyRbacConfig, type HeaderValues } from '@mesh/xds';

import type { DownstreamConnection, HttpDependencies } from '../http/http-stream-context.js';

/**
 * The RBAC filters of a chain (network) or an HTTP manager, as the compiled chain holds them, run with
 * libs/xds's Envoy semantics on what the connection proved (the verified peer identity, addresses,
 * SNI) and, for HTTP, the request. Dry-run denials and enforced denials are counted by policy; returns
 * the deciding policy of a denial.
 */
export function enforceRbac(
  rbac: readonly EnvoyRbacConfig[],
  connection: DownstreamConnection,
  deps: HttpDependencies,
  headers?: HeaderValues,
): { denied: false } | { denied: true; policy: string } {
  const filter = headers ? 'http' : 'network';
  const outcome = runRbacFilters(rbac, {
    destinationPort: connection.localPort,
    requestedServerName: connection.sni ?? '',
    directRemoteIp: connection.remoteAddress,
    destinationIp: connection.localAddress,
    ...(headers ? { headers } : {}),
    ...(connection.tls && connection.peerPrincipal
      ? { peerCertificate: { uriSans: [`spiffe://${connection.peerPrincipal}`] } }
      : {}),
  });
  for (const shadow of outcome?.shadow ?? [])
    if (shadow.effect === 'denied')
      deps.reporter.rbac({ policy: shadow.policy ?? 'none', filter, shadow: true });
  if (outcome?.decision !== 'DENY') return { denied: false };
  const policy = outcome.policy ?? 'none';
  deps.reporter.rbac({ policy, filter, shadow: false });
  return { denied: true, policy };
}
