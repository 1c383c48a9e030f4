import {
  decideInjection,
  PROXY_CONTAINER,
  SIDECAR_STATUS,
  type InjectionPolicyConfig,
  type InjectionRule,
  type NamespaceSelectionOptions,
} from '@mesh/kube';

/**
 * What `meshctl check-inject` answers (istioctl's `x check-inject`): for a pod, the pods of a
 * namespace, or a pod that would be created there with given labels, whether it gets a sidecar and
 * the rule that decided, from libs/kube's decision (both layers: the webhook selectors, then the
 * injector's own check), plus whether an Istio injection webhook is configured at all — without one,
 * no decision takes effect. Pure: the facts are read from the cluster by check-inject-cluster.ts.
 */

export interface PodFacts {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostNetwork: boolean;
  containers: string[];
}

/** A MutatingWebhookConfiguration carrying Istio's injector labels. */
export interface InjectionWebhook {
  name: string;
  revision: string;
  /** Its webhook entries (`namespace.sidecar-injector.istio.io`, ...). */
  webhooks: string[];
}

export interface CheckInjectFacts {
  namespace: { name: string; labels: Record<string, string> };
  /** Existing pods, or one hypothetical pod (`-l`), or none: then a pod with no labels is assumed. */
  pods: PodFacts[];
  hypothetical: boolean;
  config: InjectionPolicyConfig & NamespaceSelectionOptions;
  webhooks: InjectionWebhook[];
}

export interface PodInjection {
  pod: string;
  /** Whether it runs with a sidecar now; undefined for a pod not yet created. */
  hasSidecar?: boolean;
  /** Whether a pod like it, created now, gets a sidecar. */
  inject: boolean;
  rule: InjectionRule;
  reason: string;
}

export interface CheckInjectResult {
  namespace: string;
  revision: string;
  webhooks: InjectionWebhook[];
  pods: PodInjection[];
  /** Problems that make the decision moot or stale (no webhook, pods to restart). */
  warnings: string[];
}

/** The name shown for a pod that does not exist yet. */
export const NEW_POD = '(new pod)';

function hasSidecar(pod: PodFacts): boolean {
  return pod.annotations[SIDECAR_STATUS] !== undefined || pod.containers.includes(PROXY_CONTAINER);
}

/**
 * The decision for a pod created now from the same template: the injector's status annotation an
 * injected pod carries is what it added, not what its owner asked for, so it is left out.
 */
function asCreatedNow(pod: PodFacts): PodFacts {
  const { [SIDECAR_STATUS]: _added, ...annotations } = pod.annotations;
  return { ...pod, annotations };
}

export function checkInjectResult(facts: CheckInjectFacts): CheckInjectResult {
  const { namespace, config } = facts;
  const pods = facts.pods.length > 0 ? facts.pods : [newPod({})];
  const hypothetical = facts.hypothetical || facts.pods.length === 0;
  const results = pods.map((pod): PodInjection => {
    const created = asCreatedNow(pod);
    const decision = decideInjection(
      namespace,
      {
        namespace: namespace.name,
        labels: created.labels,
        annotations: created.annotations,
        hostNetwork: created.hostNetwork,
      },
      config,
    );
    return {
      pod: hypothetical ? NEW_POD : pod.name,
      ...(hypothetical ? {} : { hasSidecar: hasSidecar(pod) }),
      ...decision,
    };
  });
  const warnings: string[] = [];
  if (facts.webhooks.length === 0)
    warnings.push(
      'no Istio injection webhook is configured (MutatingWebhookConfiguration labelled app=sidecar-injector): no pod is injected',
    );
  for (const pod of results) {
    if (pod.hasSidecar === undefined || pod.hasSidecar === pod.inject) continue;
    warnings.push(
      pod.hasSidecar
        ? `pod ${pod.pod} has a sidecar but would not get one if recreated (${pod.rule})`
        : `pod ${pod.pod} has no sidecar but would get one if recreated (${pod.rule}): restart it`,
    );
  }
  return {
    namespace: namespace.name,
    revision: config.revision === '' ? 'default' : config.revision,
    webhooks: facts.webhooks,
    pods: results,
    warnings,
  };
}

/** A pod that does not exist yet, with the labels `-l` gives. */
export function newPod(labels: Record<string, string>): PodFacts {
  return { name: NEW_POD, labels, annotations: {}, hostNetwork: false, containers: [] };
}
