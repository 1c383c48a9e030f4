import {
  effectivePeerAuthentication,
  mtlsModeForPort,
  type ClientTLSSettings,
  type DestinationRule,
} from '@mesh/policy';
import type { MeshEndpoint, MeshService, MeshServicePort, MeshSnapshot } from '@mesh/registry';
import { labelsMatch } from '@mesh/registry';

type TlsMode = ClientTLSSettings['mode'];

interface PolicyWithTls {
  tls?: ClientTLSSettings;
  portLevelSettings?: readonly { port?: { number?: number }; tls?: ClientTLSSettings }[];
}

/** A traffic policy's TLS mode for a service port: its port-level entry's, else its own (Istio's rule). */
function policyTlsMode(policy: PolicyWithTls | undefined, port: number): TlsMode | undefined {
  const portLevel = policy?.portLevelSettings?.find((p) => p.port?.number === port && p.tls !== undefined);
  return portLevel?.tls?.mode ?? policy?.tls?.mode;
}

/** The mode the DestinationRule sets for an endpoint: the first subset its labels satisfy, else the rule's. */
function destinationRuleTlsMode(
  rule: DestinationRule | undefined,
  port: number,
  labels: Record<string, string>,
): TlsMode | undefined {
  const root = policyTlsMode(rule?.spec.trafficPolicy, port);
  const subset = rule?.spec.subsets?.find((s) => labelsMatch(s.labels ?? {}, labels));
  return policyTlsMode(subset?.trafficPolicy, port) ?? root;
}

/**
 * The `tlsMode` an endpoint carries for auto-mTLS, as Istio's endpoint builder decides it (its
 * `mtlsChecker`, on by default through ENABLE_AUTO_MTLS_CHECK_POLICIES): a DestinationRule that says
 * DISABLE for the endpoint makes it plaintext, one that says ISTIO_MUTUAL leaves its label alone;
 * otherwise an endpoint without a sidecar, or whose
 * PeerAuthentication disables mTLS on its port (mesh, namespace, workload or port level), is sent
 * plaintext. Without this a client would offer mTLS to a server sidecar that only accepts plaintext.
 * Returns a function so one load assignment evaluates each (labels, port) once.
 */
export function endpointTlsModes(
  snapshot: MeshSnapshot,
  service: MeshService,
  port: MeshServicePort,
  rootNamespace: string,
): (endpoint: MeshEndpoint) => MeshEndpoint['tlsMode'] {
  const rule = snapshot.destinationRule(service.hostname);
  const seen = new Map<string, MeshEndpoint['tlsMode']>();
  return (endpoint) => {
    const key = `${JSON.stringify(endpoint.labels)}:${endpoint.port}:${endpoint.tlsMode}`;
    let mode = seen.get(key);
    if (mode === undefined) {
      mode = decide(endpoint);
      seen.set(key, mode);
    }
    return mode;
  };

  function decide(endpoint: MeshEndpoint): MeshEndpoint['tlsMode'] {
    const ruleMode = destinationRuleTlsMode(rule, port.port, endpoint.labels);
    if (ruleMode === 'DISABLE') return 'disabled';
    if (ruleMode === 'ISTIO_MUTUAL') return endpoint.tlsMode;
    if (endpoint.tlsMode !== 'istio') return 'disabled';
    const effective = effectivePeerAuthentication(
      snapshot.peerAuthentications,
      { namespace: endpoint.workload.split('/')[0] || service.namespace, labels: endpoint.labels },
      { rootNamespace },
    );
    return mtlsModeForPort(effective, endpoint.port) === 'DISABLE' ? 'disabled' : 'istio';
  }
}
