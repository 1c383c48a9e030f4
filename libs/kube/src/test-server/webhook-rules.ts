import { isKubeError } from '../errors.js';
import { matchesLabelSelector, type LabelSelectorObject } from '../label-selector.js';
import type { AdmissionAttributes } from './admission-webhooks.js';

/**
 * Which webhooks an admission request is sent to, by the `admissionregistration.k8s.io/v1` rules:
 * `rules` (operations, apiGroups, apiVersions, resources with `*` and subresource forms, scope),
 * `namespaceSelector` (on the labels of the object's namespace, or of the Namespace itself) and
 * `objectSelector` (on the new or the old object's labels).
 */
export interface WebhookRule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
}

export interface Webhook {
  name: string;
  clientConfig?: Record<string, unknown>;
  rules?: WebhookRule[];
  failurePolicy?: 'Fail' | 'Ignore';
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  timeoutSeconds?: number;
  sideEffects?: string;
  admissionReviewVersions?: string[];
}

function includesOrStar(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).some((item) => item === '*' || item === value);
}

/** `pods`, `pods/status`, `*` (no subresources), `*\/*`, `pods/*`, `*\/status`. */
function resourceMatches(
  patterns: readonly string[] | undefined,
  resource: string,
  subresource?: string,
): boolean {
  return (patterns ?? []).some((pattern) => {
    const [patternResource, patternSub] = pattern.split('/') as [string, string | undefined];
    const resourceOk = patternResource === '*' || patternResource === resource;
    if (patternSub === undefined) return resourceOk && !subresource;
    return resourceOk && (patternSub === '*' || patternSub === subresource);
  });
}

function ruleMatches(rule: WebhookRule, attributes: AdmissionAttributes): boolean {
  const { type, operation, subresource } = attributes;
  const scope = rule.scope ?? '*';
  const scopeOk = scope === '*' || (scope === 'Namespaced') === type.namespaced;
  return (
    scopeOk &&
    includesOrStar(rule.operations, operation) &&
    includesOrStar(rule.apiGroups, type.group) &&
    includesOrStar(rule.apiVersions, type.version) &&
    resourceMatches(rule.resources, type.resource, subresource)
  );
}

/** A selector that cannot be parsed matches nothing (the API server reports it and skips the webhook). */
function selects(
  selector: LabelSelectorObject | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  try {
    return matchesLabelSelector(selector, labels ?? {});
  } catch (error) {
    if (isKubeError(error)) return false;
    throw error;
  }
}

/**
 * `namespaceLabels` is `null` for cluster-scoped objects other than Namespaces, which a
 * `namespaceSelector` never excludes.
 */
export function webhookMatches(
  webhook: Webhook,
  attributes: AdmissionAttributes,
  namespaceLabels: Record<string, string> | null,
): boolean {
  if (!(webhook.rules ?? []).some((rule) => ruleMatches(rule, attributes))) return false;
  if (namespaceLabels !== null && !selects(webhook.namespaceSelector, namespaceLabels)) return false;
  const objects = [attributes.object, attributes.oldObject].filter((object) => object !== undefined);
  return objects.some((object) => selects(webhook.objectSelector, object.metadata.labels));
}
