import { matchesLabelSelector, type LabelSelectorObject } from '../label-selector.js';

/**
 * Whether a pod gets a sidecar, and the rule that decided — Istio's two layers
 * (`pkg/kube/inject/inject.go` `injectRequired`, and the webhook selectors of the istiod chart's
 * `mutatingwebhook.yaml`). The webhook and `meshctl kube-inject` evaluate the pod layer;
 * `meshctl check-inject` also evaluates the namespace layer, which the API server applies before it
 * calls the webhook. Pure: the caller supplies labels, annotations and the injector's config.
 */

/** Pod label, and annotation, that opt a pod in or out. The label wins over the annotation. */
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';
/** Namespace label of the default revision (`enabled`/`disabled`). */
export const INJECTION_NAMESPACE_LABEL = 'istio-injection';
/** Namespace (or pod) label that selects a revision. */
export const REVISION_LABEL = 'istio.io/rev';
/** Annotation the injector writes: what it added. Its presence means the pod was injected. */
export const SIDECAR_STATUS = 'sidecar.istio.io/status';
export const PROXY_CONTAINER = 'istio-proxy';

/** Istio's `IgnoredNamespaces` (`pkg/kube/inject/initializer.go`): never injected. */
export const IGNORED_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
];

/** `global.proxy.autoInject`: what a pod that says nothing gets. */
export type InjectionPolicy = 'enabled' | 'disabled';

/** The parts of the injector config (`istio-sidecar-injector` ConfigMap, `config` key) the decision reads. */
export interface InjectionPolicyConfig {
  policy: InjectionPolicy;
  neverInjectSelector: readonly LabelSelectorObject[];
  alwaysInjectSelector: readonly LabelSelectorObject[];
}

export interface PodInjectionFacts {
  namespace: string;
  labels?: Readonly<Record<string, string>> | null;
  annotations?: Readonly<Record<string, string>> | null;
  hostNetwork?: boolean | null;
}

/** Which rule decided; stable names that `check-inject` prints and tests assert on. */
export type InjectionRule =
  | 'host-network'
  | 'ignored-namespace'
  | 'already-injected'
  | 'pod-label'
  | 'pod-annotation'
  | 'never-inject-selector'
  | 'always-inject-selector'
  | 'policy-enabled'
  | 'policy-disabled'
  | 'namespace-label-disabled'
  | 'namespace-label-enabled'
  | 'namespace-revision'
  | 'pod-revision'
  | 'enabled-by-default'
  | 'no-selector-matched';

export interface InjectionDecision {
  inject: boolean;
  rule: InjectionRule;
  /** One sentence an operator can act on. */
  reason: string;
}

const decided = (inject: boolean, rule: InjectionRule, reason: string): InjectionDecision => ({
  inject,
  rule,
  reason,
});

/**
 * The pod layer, in Istio's order: host network, ignored namespaces, the pod's own opt-in/out (label
 * over annotation; only "true" and "false" count, anything else falls back to the default as Istio
 * does), neverInjectSelector, alwaysInjectSelector, then the policy. A pod already injected is not
 * injected twice (what `kube-inject` of injected YAML and a reinvoked webhook need).
 */
export function decidePodInjection(pod: PodInjectionFacts, config: InjectionPolicyConfig): InjectionDecision {
  if (pod.hostNetwork === true)
    return decided(
      false,
      'host-network',
      'Pod uses the host network: its iptables rules would change the node',
    );
  if (IGNORED_NAMESPACES.includes(pod.namespace))
    return decided(false, 'ignored-namespace', `Namespace ${pod.namespace} is never injected`);
  // The status annotation, not an `istio-proxy` container: a gateway pod brings its own for the
  // injector to fill in (`image: auto`).
  if (pod.annotations?.[SIDECAR_STATUS] !== undefined)
    return decided(false, 'already-injected', `Pod is already injected (${SIDECAR_STATUS} is set)`);

  const label = pod.labels?.[SIDECAR_INJECT];
  const annotation = pod.annotations?.[SIDECAR_INJECT];
  const [value, rule, source] =
    label !== undefined
      ? [label, 'pod-label' as const, 'label']
      : [annotation, 'pod-annotation' as const, 'annotation'];
  if (value === 'true') return decided(true, rule, `Pod has ${SIDECAR_INJECT}=true ${source}`);
  if (value === 'false')
    return decided(false, rule, `Pod has ${SIDECAR_INJECT}=false ${source}, preventing injection`);

  const labels = pod.labels ?? {};
  const never = config.neverInjectSelector.findIndex((s) => nonEmptyMatch(s, labels));
  if (never >= 0)
    return decided(false, 'never-inject-selector', `Pod labels match neverInjectSelector[${never}]`);
  const always = config.alwaysInjectSelector.findIndex((s) => nonEmptyMatch(s, labels));
  if (always >= 0)
    return decided(true, 'always-inject-selector', `Pod labels match alwaysInjectSelector[${always}]`);
  return config.policy === 'enabled'
    ? decided(true, 'policy-enabled', 'Injection policy (global.proxy.autoInject) is enabled')
    : decided(false, 'policy-disabled', 'Injection policy (global.proxy.autoInject) is disabled');
}

/** Istio skips an empty selector here (it would match every pod). */
function nonEmptyMatch(selector: LabelSelectorObject, labels: Record<string, string>): boolean {
  const empty =
    Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
  return !empty && matchesLabelSelector(selector, labels);
}

export interface NamespaceSelectionOptions {
  /** The injector's revision; `default` (or empty) is the default revision. */
  revision: string;
  /** `sidecarInjectorWebhook.enableNamespacesByDefault`. */
  enableNamespacesByDefault: boolean;
}

/**
 * The namespace layer: whether any of the istiod chart's webhook entries would send this pod to the
 * injector of `revision` (the selector matrix: `istio-injection=enabled` beats `istio.io/rev`; a
 * `sidecar.istio.io/inject=false` pod label always excludes; object-level opt-in works only in an
 * unlabelled namespace). Selectors see labels only; annotations are the pod layer's business.
 */
export function decideNamespaceSelection(
  namespace: { name: string; labels?: Readonly<Record<string, string>> | null },
  podLabels: Readonly<Record<string, string>> | null | undefined,
  options: NamespaceSelectionOptions,
): InjectionDecision {
  const ns = namespace.labels ?? {};
  const pod = podLabels ?? {};
  const revision = options.revision === '' ? 'default' : options.revision;
  const isDefault = revision === 'default';
  const nsInjection = ns[INJECTION_NAMESPACE_LABEL];
  const nsRevision = ns[REVISION_LABEL];
  const podInject = pod[SIDECAR_INJECT];
  const podRevision = pod[REVISION_LABEL];

  if (nsInjection !== undefined) {
    if (nsInjection !== 'enabled')
      return decided(
        false,
        'namespace-label-disabled',
        `Namespace label ${INJECTION_NAMESPACE_LABEL}=${nsInjection} disables injection`,
      );
    if (!isDefault)
      return decided(
        false,
        'namespace-label-enabled',
        `Namespace label ${INJECTION_NAMESPACE_LABEL}=enabled selects the default revision, not ${revision}`,
      );
    if (podInject === 'false')
      return decided(false, 'pod-label', `Pod has ${SIDECAR_INJECT}=false label, preventing injection`);
    return decided(
      true,
      'namespace-label-enabled',
      `Namespace label ${INJECTION_NAMESPACE_LABEL}=enabled matches`,
    );
  }
  if (nsRevision !== undefined) {
    if (nsRevision !== revision)
      return decided(
        false,
        'namespace-revision',
        `Namespace label ${REVISION_LABEL}=${nsRevision} selects another revision`,
      );
    if (podInject === 'false')
      return decided(false, 'pod-label', `Pod has ${SIDECAR_INJECT}=false label, preventing injection`);
    return decided(true, 'namespace-revision', `Namespace label ${REVISION_LABEL}=${nsRevision} matches`);
  }
  if (podRevision !== undefined) {
    if (podRevision !== revision)
      return decided(
        false,
        'pod-revision',
        `Pod label ${REVISION_LABEL}=${podRevision} selects another revision`,
      );
    if (podInject === 'false')
      return decided(false, 'pod-label', `Pod has ${SIDECAR_INJECT}=false label, preventing injection`);
    return decided(true, 'pod-revision', `Pod label ${REVISION_LABEL}=${podRevision} matches`);
  }
  if (isDefault && podInject === 'true')
    return decided(true, 'pod-label', `Pod has ${SIDECAR_INJECT}=true label`);
  if (
    isDefault &&
    options.enableNamespacesByDefault &&
    podInject === undefined &&
    !IGNORED_NAMESPACES.includes(namespace.name)
  )
    return decided(
      true,
      'enabled-by-default',
      'Namespaces are injected by default (enableNamespacesByDefault)',
    );
  return decided(
    false,
    'no-selector-matched',
    `No matching namespace labels (${INJECTION_NAMESPACE_LABEL}=enabled, ${REVISION_LABEL}=${revision}) or pod labels (${SIDECAR_INJECT}=true, ${REVISION_LABEL}=${revision})`,
  );
}

/**
 * Both layers, as a pod created in `namespace` meets them: the namespace layer first (the API server
 * does not call the webhook otherwise), then the pod layer.
 */
export function decideInjection(
  namespace: { name: string; labels?: Readonly<Record<string, string>> | null },
  pod: PodInjectionFacts,
  config: InjectionPolicyConfig & NamespaceSelectionOptions,
): InjectionDecision {
  const selected = decideNamespaceSelection(namespace, pod.labels, config);
  if (!selected.inject) return selected;
  const podLayer = decidePodInjection(pod, config);
  // A pod the namespace selected and the policy would inject reports the namespace as the reason.
  return podLayer.inject && podLayer.rule === 'policy-enabled' ? selected : podLayer;
}
