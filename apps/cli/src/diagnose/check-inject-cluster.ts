import { AdmissionregistrationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { isNotFound, loadKubeConfig, REVISION_LABEL } from '@mesh/kube';

import { describeClusterError } from '../install/cluster-connection.js';
import { InjectionSourceError, loadInjectionSettings } from '../kube-inject/injection-sources.js';
import type { CheckInjectFacts, InjectionWebhook, PodFacts } from './check-inject-result.js';
import { newPod } from './check-inject-result.js';
import { DiagnoseError } from './diagnose-mesh.js';

/**
 * The facts `check-inject` decides on, read from a cluster (`--kubeconfig`/`--context`): the
 * namespace's labels, the pod (or every pod of the namespace), the injector's settings from the
 * `istio-sidecar-injector` ConfigMap as the webhook reads them (kube-inject's loader), and the
 * MutatingWebhookConfigurations the istiod chart labels `app: sidecar-injector`.
 */

export interface CheckInjectQuery {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  /** An existing pod; else `labels` (a pod to be created); else every pod of the namespace. */
  pod?: string;
  labels?: Record<string, string>;
  istioNamespace: string;
  revision: string;
}

/** Istio's label on the injector's webhook configurations (charts/istiod mutatingwebhook.yaml). */
export const INJECTOR_WEBHOOK_SELECTOR = 'app=sidecar-injector';

function podFacts(pod: V1Pod): PodFacts {
  return {
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    annotations: pod.metadata?.annotations ?? {},
    hostNetwork: pod.spec?.hostNetwork === true,
    containers: [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name),
  };
}

export async function readCheckInjectFacts(query: CheckInjectQuery): Promise<CheckInjectFacts> {
  const cluster = { kubeconfig: query.kubeconfig, context: query.context };
  let core: CoreV1Api;
  let admission: AdmissionregistrationV1Api;
  let server = '';
  try {
    const config = loadKubeConfig(cluster);
    server = config.getCurrentCluster()?.server ?? '';
    core = config.makeApiClient(CoreV1Api);
    admission = config.makeApiClient(AdmissionregistrationV1Api);
  } catch (err) {
    throw new DiagnoseError(`cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const read = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (isNotFound(err)) throw new DiagnoseError(`${what} not found`);
      throw new DiagnoseError(describeClusterError(err, server, `read ${what}`).message);
    }
  };
  const { namespace } = query;
  const ns = await read(`namespace ${namespace}`, () => core.readNamespace({ name: namespace }));
  const pods = query.pod
    ? [
        podFacts(
          await read(`pod ${namespace}/${query.pod}`, () =>
            core.readNamespacedPod({ name: query.pod ?? '', namespace }),
          ),
        ),
      ]
    : query.labels
      ? [newPod(query.labels)]
      : (await read(`pods of namespace ${namespace}`, () => core.listNamespacedPod({ namespace }))).items.map(
          podFacts,
        );
  const hooks = await read('MutatingWebhookConfigurations', () =>
    admission.listMutatingWebhookConfiguration({ labelSelector: INJECTOR_WEBHOOK_SELECTOR }),
  );
  const webhooks: InjectionWebhook[] = hooks.items.map((hook) => ({
    name: hook.metadata?.name ?? '',
    revision: hook.metadata?.labels?.[REVISION_LABEL] ?? 'default',
    webhooks: (hook.webhooks ?? []).map((w) => w.name),
  }));
  let settings;
  try {
    ({ settings } = await loadInjectionSettings({
      cluster,
      istioNamespace: query.istioNamespace,
      revision: query.revision,
      injectConfigMapName: 'istio-sidecar-injector',
      meshConfigMapName: 'istio',
    }));
  } catch (err) {
    if (err instanceof InjectionSourceError) throw new DiagnoseError(err.message);
    throw err;
  }
  return {
    namespace: { name: namespace, labels: ns.metadata?.labels ?? {} },
    pods,
    hypothetical: query.pod === undefined && query.labels !== undefined,
    config: {
      ...settings.config,
      revision: query.revision || settings.values.revision,
      enableNamespacesByDefault: settings.values.enableNamespacesByDefault,
    },
    webhooks,
  };
}
