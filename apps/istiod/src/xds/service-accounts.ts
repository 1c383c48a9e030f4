import type { MeshSnapshot } from '@mesh/registry';

/**
 * Which service accounts back each service port, as one comparable string. When an endpoint change
 * alters it, clusters must be pushed too: their ISTIO_MUTUAL SAN lists are these identities.
 */
export function serviceAccountsSignature(snapshot: MeshSnapshot): string {
  const lines: string[] = [];
  for (const service of snapshot.services) {
    for (const port of service.ports) {
      const accounts = [
        ...new Set(
          snapshot.endpoints(service, port).map((e) => `${e.workload.split('/')[0]}/${e.serviceAccount}`),
        ),
      ].sort();
      if (accounts.length > 0) lines.push(`${service.hostname}:${port.port}=${accounts.join(',')}`);
    }
  }
  return lines.join('\n');
}
