import { AppsV1Api, AuthorizationV1Api, VersionApi } from '@kubernetes/client-node';

import type { ClusterConnection } from './cluster-connection.js';
import { INSTALLED_KINDS } from './installed-objects.js';

/**
 * `meshctl precheck`: what istioctl's `x precheck` checks before an install, with its message codes
 * and texts where Istio has them — the API server's version (IST0142), the permission to create every
 * kind install creates, asked with SelfSubjectAccessReview (IST0141), and control planes already
 * installed (a second install of the same revision is refused without --force).
 */

/** The oldest Kubernetes release the charts are tested against (Istio 1.25's minimum is 1.29 too). */
export const MIN_KUBERNETES_VERSION = '1.29';

export type PrecheckLevel = 'Error' | 'Warning' | 'Info';

export interface PrecheckMessage {
  code?: string;
  level: PrecheckLevel;
  /** What the message is about, e.g. `Deployment istio-system/istiod`. */
  origin: string;
  message: string;
}

export interface PrecheckReport {
  kubernetesVersion: string;
  messages: PrecheckMessage[];
}

/** Pure: `1.36.3` / `v1.36.3+k3s1` against the minimum; undefined when supported. */
export function kubernetesVersionMessage(
  gitVersion: string,
  major: string,
  minor: string,
): PrecheckMessage | undefined {
  const [minMajor, minMinor] = MIN_KUBERNETES_VERSION.split('.').map(Number) as [number, number];
  const maj = Number(major);
  const min = Number.parseInt(minor, 10);
  if (maj > minMajor || (maj === minMajor && min >= minMinor)) return undefined;
  return {
    code: 'IST0142',
    level: 'Error',
    origin: `Kubernetes ${gitVersion}`,
    message: `The Kubernetes API server version: ${gitVersion} is lower than the minimum version: ${MIN_KUBERNETES_VERSION}`,
  };
}

async function permissionMessages(cluster: ClusterConnection, namespace: string): Promise<PrecheckMessage[]> {
  const api = cluster.config.makeApiClient(AuthorizationV1Api);
  const messages: PrecheckMessage[] = [];
  for (const kind of INSTALLED_KINDS) {
    const group = kind.apiVersion.includes('/') ? (kind.apiVersion.split('/')[0] as string) : '';
    let review;
    try {
      review = await api.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              verb: 'create',
              group,
              resource: kind.resource,
              ...(kind.namespaced ? { namespace } : {}),
            },
          },
        },
      });
    } catch (err) {
      throw cluster.error(err, `ask whether ${kind.resource} may be created (SelfSubjectAccessReview)`);
    }
    if (!review.status?.allowed) {
      const resource = group ? `${kind.resource}.${group}` : kind.resource;
      const reason = review.status?.reason || (kind.namespaced ? `namespace ${namespace}` : 'cluster-wide');
      messages.push({
        code: 'IST0141',
        level: 'Error',
        origin: `${kind.kind}${kind.namespaced ? ` in ${namespace}` : ''}`,
        message: `Missing required permission to create resource ${resource} (${reason})`,
      });
    }
  }
  return messages;
}

async function controlPlaneMessages(
  cluster: ClusterConnection,
  revision: string,
): Promise<PrecheckMessage[]> {
  let deployments;
  try {
    deployments = await cluster.config
      .makeApiClient(AppsV1Api)
      .listDeploymentForAllNamespaces({ labelSelector: 'app=istiod' });
  } catch (err) {
    throw cluster.error(err, 'list istiod Deployments');
  }
  return deployments.items.map((d) => {
    const installed = d.metadata?.labels?.['istio.io/rev'] || 'default';
    const origin = `Deployment ${d.metadata?.namespace}/${d.metadata?.name}`;
    return installed === revision
      ? {
          level: 'Warning' as const,
          origin,
          message: `control plane revision "${revision}" is already installed: meshctl install of it is refused without --force (or install another --revision)`,
        }
      : { level: 'Info' as const, origin, message: `control plane revision "${installed}" is installed` };
  });
}

export async function runPrecheck(
  cluster: ClusterConnection,
  options: { namespace: string; revision: string },
): Promise<PrecheckReport> {
  let version;
  try {
    version = await cluster.config.makeApiClient(VersionApi).getCode();
  } catch (err) {
    throw cluster.error(err, 'read the Kubernetes version');
  }
  const messages: PrecheckMessage[] = [];
  const versionMessage = kubernetesVersionMessage(version.gitVersion, version.major, version.minor);
  if (versionMessage) messages.push(versionMessage);
  messages.push(...(await permissionMessages(cluster, options.namespace)));
  messages.push(...(await controlPlaneMessages(cluster, options.revision || 'default')));
  return { kubernetesVersion: version.gitVersion, messages };
}

const LEVELS: PrecheckLevel[] = ['Info', 'Warning', 'Error'];
export const atLeast = (level: PrecheckLevel, threshold: PrecheckLevel) =>
  LEVELS.indexOf(level) >= LEVELS.indexOf(threshold);

/** istioctl's log form, then its all-clear line when nothing reaches Warning. */
export function renderPrecheckText(report: PrecheckReport): string {
  const lines = report.messages.map(
    (m) => `${m.level}${m.code ? ` [${m.code}]` : ''} (${m.origin}) ${m.message}`,
  );
  if (!report.messages.some((m) => atLeast(m.level, 'Warning')))
    lines.push('✔ No issues found when checking the cluster. Istio is safe to install or upgrade!');
  return lines.join('\n');
}
