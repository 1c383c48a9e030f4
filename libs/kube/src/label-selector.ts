import { KubeError } from './errors.js';

/**
 * Kubernetes label selectors in both of their forms: the query-string grammar of `?labelSelector=`
 * (`app=web,tier!=db,env in (a,b),!legacy`) and the `metav1.LabelSelector` object used by
 * Services, webhooks and policies (`matchLabels` + `matchExpressions`). Both become one list of
 * requirements that must all hold, as in apimachinery's `labels.Selector`.
 */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: readonly string[];
}

/** The `metav1.LabelSelector` object. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] | null }[] | null;
}

export type Labels = Readonly<Record<string, string>> | null | undefined;

// A qualified name: an optional DNS-subdomain prefix and a 63-character name part (apimachinery's
// IsQualifiedName), and a label value: empty or 63 characters starting and ending alphanumerically.
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** A valid label or annotation key: `[prefix/]name` (apimachinery's IsQualifiedName). */
export function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  return (
    (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix))) && NAME_PART.test(name)
  );
}

/** A valid label value: empty, or up to 63 characters starting and ending alphanumerically. */
export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

function checkKey(key: string, selector: string): string {
  if (!isQualifiedName(key)) {
    throw new KubeError(
      'KUBE_INVALID_LABEL_SELECTOR',
      `unable to parse requirement: invalid label key "${key}" in selector "${selector}"`,
    );
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!isValidLabelValue(value)) {
    throw new KubeError(
      'KUBE_INVALID_LABEL_SELECTOR',
      `unable to parse requirement: invalid label value "${value}" in selector "${selector}"`,
    );
  }
  return value;
}

/** Splits on commas that are not inside an `in (...)` value list. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim());
}

const SET_REQUIREMENT = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const EQUALITY_REQUIREMENT = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/;
const NEGATED_EXISTS = /^!\s*(\S+)$/;

/** Parses the query-string form. An empty string selects everything (no requirements). */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map((text): LabelRequirement => {
    const [, negated] = NEGATED_EXISTS.exec(text) ?? [];
    if (negated !== undefined)
      return { key: checkKey(negated, selector), operator: 'DoesNotExist', values: [] };
    const [, setKey, setOperator, setValues] = SET_REQUIREMENT.exec(text) ?? [];
    if (setKey !== undefined && setValues !== undefined) {
      const values = setValues.split(',').map((value) => checkValue(value.trim(), selector));
      return { key: checkKey(setKey, selector), operator: setOperator === 'in' ? 'In' : 'NotIn', values };
    }
    const [, key, equality, value] = EQUALITY_REQUIREMENT.exec(text) ?? [];
    if (key !== undefined && value !== undefined) {
      const operator = equality === '!=' ? 'NotEquals' : 'Equals';
      return { key: checkKey(key, selector), operator, values: [checkValue(value, selector)] };
    }
    if (text !== '' && !/[\s=!()]/.test(text)) {
      return { key: checkKey(text, selector), operator: 'Exists', values: [] };
    }
    throw new KubeError(
      'KUBE_INVALID_LABEL_SELECTOR',
      `unable to parse requirement: "${text}" in selector "${selector}"`,
    );
  });
}

/**
 * Requirements of a `metav1.LabelSelector`. `undefined`/`null` and `{}` both select everything here:
 * the fields that take a selector (webhook namespaceSelector/objectSelector, policy selectors) default
 * a missing one to "match all", which is the case callers of this helper have.
 */
export function labelSelectorRequirements(
  selector: LabelSelectorObject | null | undefined,
): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  const text = JSON.stringify(selector ?? {});
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key: checkKey(key, text), operator: 'Equals', values: [checkValue(value, text)] });
  }
  for (const expression of selector?.matchExpressions ?? []) {
    const values = [...(expression.values ?? [])];
    const operator = expression.operator;
    if (operator !== 'In' && operator !== 'NotIn' && operator !== 'Exists' && operator !== 'DoesNotExist') {
      throw new KubeError(
        'KUBE_INVALID_LABEL_SELECTOR',
        `"${operator}" is not a valid label selector operator`,
      );
    }
    const needsValues = operator === 'In' || operator === 'NotIn';
    if (needsValues !== values.length > 0) {
      throw new KubeError(
        'KUBE_INVALID_LABEL_SELECTOR',
        `values: ${needsValues ? 'must be specified' : 'may not be specified'} when operator is "${operator}"`,
      );
    }
    requirements.push({ key: checkKey(expression.key, text), operator, values });
  }
  return requirements;
}

/** True when every requirement holds for `labels`. */
export function matchesLabelRequirements(requirements: readonly LabelRequirement[], labels: Labels): boolean {
  return requirements.every(({ key, operator, values }) => {
    const value = labels != null && Object.hasOwn(labels, key) ? labels[key] : undefined;
    const has = value !== undefined;
    switch (operator) {
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      case 'Equals':
      case 'In':
        return has && values.includes(value);
      case 'NotEquals':
      case 'NotIn':
        return !has || !values.includes(value);
    }
  });
}

/** `labelSelectorRequirements` + `matchesLabelRequirements` in one call. */
export function matchesLabelSelector(
  selector: LabelSelectorObject | null | undefined,
  labels: Labels,
): boolean {
  return matchesLabelRequirements(labelSelectorRequirements(selector), labels);
}

/** The query-string form of a selector object or a plain label map (a Service's `spec.selector`). */
export function formatLabelSelector(selector: LabelSelectorObject | Record<string, string>): string {
  const isObject = 'matchLabels' in selector || 'matchExpressions' in selector;
  const requirements = isObject
    ? labelSelectorRequirements(selector as LabelSelectorObject)
    : labelSelectorRequirements({ matchLabels: selector as Record<string, string> });
  return requirements
    .map(({ key, operator, values }) => {
      switch (operator) {
        case 'Exists':
          return key;
        case 'DoesNotExist':
          return `!${key}`;
        case 'Equals':
          return `${key}=${values[0]}`;
        case 'NotEquals':
          return `${key}!=${values[0]}`;
        case 'In':
        case 'NotIn':
          return `${key} ${operator.toLowerCase()} (${values.join(',')})`;
      }
    })
    .join(',');
}
