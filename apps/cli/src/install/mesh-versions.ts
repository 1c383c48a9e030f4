import { AppsV1Api, CoreV1Api, type V1Container } from '@kubernetes/client-node';

import type { ClusterConnection } from './cluster-connection.js';

/**
 * `meshctl version`: the client's version, the control plane's (each istiod Deployment's `discovery`
 * image tag, per revision) and the data plane's (the `istio-proxy` image tag of every injected pod —
 * those with `sidecar.istio.io/status` — as native sidecar or container), in istioctl's shapes.
 */

export interface ControlPlaneVersion {
  revision: string;
  deployment: string;
  version: string;
}

export interface DataPlaneVersion {
  /** `<pod>.<namespace>`, as istioctl names proxies. */
  id: string;
  version: string;
}

export interface MeshVersions {
  clientVersion: { version: string };
  meshVersion?: ControlPlaneVersion[];
  dataPlaneVersion?: DataPlaneVersion[];
}

/** The tag of an image reference (`hub/name:tag[@digest]`), or `unknown`. */
export function imageTag(image: string | undefined): string {
  if (!image) return 'unknown';
  const withoutDigest = image.split('@')[0] as string;
  const lastPart = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastPart.indexOf(':');
  return colon < 0 ? 'latest' : lastPart.slice(colon + 1);
}

export async function remoteVersions(
  cluster: ClusterConnection,
): Promise<Pick<MeshVersions, 'meshVersion' | 'dataPlaneVersion'>> {
  let deployments, pods;
  try {
    deployments = await cluster.config
      .makeApiClient(AppsV1Api)
      .listDeploymentForAllNamespaces({ labelSelector: 'app=istiod' });
    pods = await cluster.config.makeApiClient(CoreV1Api).listPodForAllNamespaces();
  } catch (err) {
    throw cluster.error(err, 'list istiod Deployments and injected pods');
  }
  const meshVersion = deployments.items.map((d) => {
    const containers = d.spec?.template.spec?.containers ?? [];
    const discovery = containers.find((c) => c.name === 'discovery') ?? containers[0];
    return {
      revision: d.metadata?.labels?.['istio.io/rev'] || 'default',
      deployment: `${d.metadata?.namespace}/${d.metadata?.name}`,
      version: imageTag(discovery?.image),
    };
  });
  const isProxy = (c: V1Container) => c.name === 'istio-proxy';
  const dataPlaneVersion = pods.items
    .filter((p) => p.metadata?.annotations?.['sidecar.istio.io/status'] !== undefined)
    .map((p) => {
      const proxy = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].find(isProxy);
      return { id: `${p.metadata?.name}.${p.metadata?.namespace}`, version: imageTag(proxy?.image) };
    });
  return { meshVersion, dataPlaneVersion };
}

/** `1.2.3 (2 proxies), 1.2.2 (1 proxies)`, istioctl's summary of distinct versions. */
function summary(versions: string[], unit?: string): string {
  const counts = new Map<string, number>();
  for (const v of versions) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([version, count]) => (unit ? `${version} (${count} ${unit})` : version)).join(', ');
}

/** istioctl's short form. */
export function renderVersionsShort(versions: MeshVersions): string {
  const lines = [`client version: ${versions.clientVersion.version}`];
  if (versions.meshVersion !== undefined)
    lines.push(
      versions.meshVersion.length === 0
        ? 'control plane version: none (no istiod Deployment found)'
        : `control plane version: ${summary(versions.meshVersion.map((m) => m.version))}`,
    );
  if (versions.dataPlaneVersion !== undefined)
    lines.push(
      versions.dataPlaneVersion.length === 0
        ? 'data plane version: none (no injected pods)'
        : `data plane version: ${summary(
            versions.dataPlaneVersion.map((d) => d.version),
            'proxies',
          )}`,
    );
  return lines.join('\n');
}
