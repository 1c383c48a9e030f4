import { labelsOf, list, record, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/** The sidecar's UID: its iptables rules let this user's traffic bypass the proxy. */
const PROXY_UID = 1337;

/** Containers whose UID 1337 is theirs by design. */
const PROXY_CONTAINERS = new Set(['istio-proxy', 'istio-operator']);

/**
 * Istio's `applicationUID.Analyzer`: an application pod (or the pod template of a Deployment) that
 * runs as UID 1337, for the pod or one of its containers (IST0144): the sidecar's redirection exempts
 * that UID, so the application's traffic would leave unproxied. Control-plane workloads (labelled
 * `istio` or `release: istio`) are skipped. Reported at the `runAsUser` line.
 */
export function analyzeApplicationUid(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  for (const kind of ['Pod', 'Deployment'] as const)
    for (const resource of ctx.ofKind(kind)) {
      const labels = labelsOf(resource);
      if ('istio' in labels || labels['release'] === 'istio') continue;
      const base = kind === 'Pod' ? 'spec' : 'spec.template.spec';
      const podSpec =
        kind === 'Pod'
          ? record(resource.object['spec'])
          : record(record(record(resource.object['spec'])['template'])['spec']);
      const paths: string[] = [];
      if (record(podSpec['securityContext'])['runAsUser'] === PROXY_UID)
        paths.push(`${base}.securityContext.runAsUser`);
      list(podSpec['containers']).forEach((value, index) => {
        const container = record(value);
        if (PROXY_CONTAINERS.has(String(container['name']))) return;
        if (record(container['securityContext'])['runAsUser'] === PROXY_UID)
          paths.push(`${base}.containers[${index}].securityContext.runAsUser`);
      });
      for (const path of paths)
        messages.push(
          newMessage(
            'InvalidApplicationUID',
            resource,
            'User ID (UID) 1337 is reserved for the sidecar proxy.',
            path,
          ),
        );
    }
  return messages;
}
