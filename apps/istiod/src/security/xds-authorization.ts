import { parseSpiffeId, type SpiffeIdentity } from '@mesh/pki';
import type { XdsConnection } from '@mesh/xds';

/**
 * Who an xDS client proved to be: the SPIFFE identity of the client certificate it presented over
 * mTLS on the secure port (verified by the TLS layer against the mesh roots), or undefined on the
 * plaintext port and for TLS clients without a certificate. Node metadata is only a claim.
 */
export function provenIdentity(connection: XdsConnection): SpiffeIdentity | undefined {
  if (!connection.peerIdentity) return undefined;
  try {
    return parseSpiffeId(connection.peerIdentity);
  } catch {
    return undefined;
  }
}

function claimedString(connection: XdsConnection, key: string): string | undefined {
  const value = connection.node.metadata[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The namespace in an Istio node id, `<type>~<ip>~<pod>.<namespace>~<domain>`, if it has one. */
function namespaceInNodeId(id: string): string | undefined {
  const podDotNamespace = id.split('~')[2];
  const dot = podDotNamespace?.indexOf('.') ?? -1;
  return podDotNamespace && dot > 0 ? podDotNamespace.slice(dot + 1) : undefined;
}

/**
 * Istio's xDS authorization (pilot/pkg/xds/authorization.go): a client that proved an identity may
 * only speak as a proxy of that identity's namespace and service account. The namespace claimed in
 * the node id or the `NAMESPACE` metadata and the `SERVICE_ACCOUNT` metadata must agree with the
 * certificate; a client from another trust domain is refused. Clients without a certificate (the
 * plaintext port) are not refused here: they get config only and can never register an endpoint
 * (see SelfRegistration).
 */
export function authorizeXdsClient(trustDomain: string): (connection: XdsConnection) => string | undefined {
  return (connection) => {
    if (!connection.peerIdentity) return undefined;
    const proven = provenIdentity(connection);
    if (!proven) return `client certificate identity ${connection.peerIdentity} is not a workload identity`;
    if (proven.trustDomain !== trustDomain)
      return `client certificate is for trust domain ${proven.trustDomain}, not ${trustDomain}`;
    const claims: [string, string | undefined, string][] = [
      ['node id namespace', namespaceInNodeId(connection.node.id), proven.namespace],
      ['NAMESPACE metadata', claimedString(connection, 'NAMESPACE'), proven.namespace],
      ['SERVICE_ACCOUNT metadata', claimedString(connection, 'SERVICE_ACCOUNT'), proven.serviceAccount],
    ];
    for (const [what, claimed, actual] of claims)
      if (claimed !== undefined && claimed !== actual)
        return `${what} "${claimed}" disagrees with the client certificate (${connection.peerIdentity})`;
    return undefined;
  };
}
