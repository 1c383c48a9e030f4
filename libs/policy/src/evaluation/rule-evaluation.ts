import type { Condition, Operation, Source } from '../api/security/authorization-policy.js';
import {
  bracketNames,
  claimAt,
  claimMatches,
  headerMatches,
  hostMatches,
  namespaceMatches,
  principalMatches,
  requestPrincipalMatches,
  serviceAccountMatches,
  stringMatches,
  trustDomainMatches,
} from './attribute-matchers.js';
import type { AuthorizationAction, AuthorizationRuleModel } from './authorization-model.js';
import type { RequestAttributes } from './authorization-request.js';
import { pathMatches } from './http-path.js';
import { cidrContains, parseCidrRange, type IpAddress } from './ip-ranges.js';

/**
 * Whether one rule matches a request, with Istio's semantics (`pilot/pkg/security/authz/model`):
 * values of one field are ORed, `not*` values negate, the fields of a source or operation are ANDed,
 * `from` entries ORed, `to` entries ORed, and `from`, `to` and every `when` condition ANDed.
 *
 * What a rule cannot evaluate (an HTTP-only field on a TCP connection, an invalid IP or port) is
 * handled as istiod's `checkError` does, and as the AuthorizationPolicy reference puts it for TCP:
 * "When this rule is applied to TCP traffic, the `method` field (as will all HTTP based attributes)
 * cannot be processed. For a `DENY` rule, missing attributes are treated as matches." So:
 * - ALLOW: the whole rule is skipped ("a smaller allow policy"), it matches nothing;
 * - DENY, AUDIT and CUSTOM: only the offending values are dropped ("a wider deny or audit policy"); a
 *   field left without values constrains nothing, so `to: [{operation: {methods: [GET]}}]` on TCP
 *   matches every connection.
 */

export interface RuleEvaluation {
  matched: boolean;
  /** What the evaluator ignored or could not see, for explanations. */
  notes: string[];
}

/** One attribute a value can be tested against. */
interface Attribute {
  /** Only HTTP requests carry it: istiod's generator fails with "`<key>` is HTTP only" for TCP. */
  httpOnly: boolean;
  /** Whether `value` matches; a string says why the value is unusable (istiod's generator error). */
  test(value: string, attrs: RequestAttributes): boolean | string;
}

class RuleSkipped extends Error {}

interface Evaluation {
  attrs: RequestAttributes;
  rule: string;
  policyNamespace: string;
  /** ALLOW rules are skipped on any error; the other actions drop what they cannot use. */
  skipOnError: boolean;
  notes: string[];
}

function ipAttribute(pick: (attrs: RequestAttributes) => IpAddress | undefined): Attribute {
  return {
    httpOnly: false,
    test(value, attrs) {
      const range = parseCidrRange(value);
      if (range === undefined) return `${JSON.stringify(value)} is not an IP address or CIDR range`;
      const address = pick(attrs);
      return address !== undefined && cidrContains(range, address);
    },
  };
}

const anyProtocol = (test: Attribute['test']): Attribute => ({ httpOnly: false, test });
const httpOnly = (test: Attribute['test']): Attribute => ({ httpOnly: true, test });
const claims = (attrs: RequestAttributes) => attrs.request.requestAuth?.claims;

const SOURCE_PRINCIPAL = anyProtocol((value, attrs) => principalMatches(value, attrs.principal));
const SOURCE_NAMESPACE = anyProtocol((value, attrs) => namespaceMatches(value, attrs.principal));
const SOURCE_TRUST_DOMAIN = anyProtocol((value, attrs) => trustDomainMatches(value, attrs.principal));
const SOURCE_IP = ipAttribute((attrs) => attrs.sourceIp);
const REMOTE_IP = ipAttribute((attrs) => attrs.remoteIp);
const REQUEST_PRINCIPAL = httpOnly((value, attrs) => requestPrincipalMatches(value, attrs.jwt));
const DESTINATION_PORT = anyProtocol((value, attrs) => {
  if (!/^\d+$/.test(value) || Number(value) > 65535) return `${JSON.stringify(value)} is not a port`;
  return Number(value) === attrs.request.destination.port;
});
const HOST = httpOnly((value, attrs) => hostMatches(value, attrs.request.http?.host));
const METHOD = httpOnly((value, attrs) => headerMatches(value, attrs.request.http?.method));
const PATH = httpOnly((value, attrs) => attrs.path !== undefined && pathMatches(value, attrs.path));

/** The `when` keys with a fixed name (Istio's "Authorization Policy Conditions"). */
const WHEN_ATTRIBUTES: ReadonlyMap<string, Attribute> = new Map([
  ['source.principal', SOURCE_PRINCIPAL],
  ['source.namespace', SOURCE_NAMESPACE],
  ['source.trustDomain', SOURCE_TRUST_DOMAIN],
  ['source.ip', SOURCE_IP],
  ['remote.ip', REMOTE_IP],
  ['destination.ip', ipAttribute((attrs) => attrs.destinationIp)],
  ['destination.port', DESTINATION_PORT],
  // Envoy's requested server name is empty without SNI, which no value matches.
  ['connection.sni', anyProtocol((value, attrs) => stringMatches(value, attrs.request.sni ?? ''))],
  ['request.auth.principal', REQUEST_PRINCIPAL],
  ['request.auth.audiences', httpOnly((value, attrs) => claimMatches(value, claims(attrs)?.['aud']))],
  ['request.auth.presenter', httpOnly((value, attrs) => claimMatches(value, claims(attrs)?.['azp']))],
]);

/** A key istiod cannot parse fails every value, like its generator does. */
function malformedKey(key: string): Attribute {
  return anyProtocol(() => `bad key ${JSON.stringify(key)}: should have format a[b]`);
}

function serviceAccountAttribute(policyNamespace: string): Attribute {
  return anyProtocol((value, attrs) => serviceAccountMatches(value, policyNamespace, attrs.principal));
}

/** `experimental.envoy.filters.<filter>[<key>]`: Envoy dynamic metadata; `[v]` matches in a list. */
function envoyFilterAttribute(key: string, evaluation: Evaluation): Attribute | undefined {
  const rest = key.slice('experimental.'.length);
  const open = rest.indexOf('[');
  if (open < 0 || !rest.endsWith(']')) return undefined;
  const filter = rest.slice(0, open);
  const field = rest.slice(open + 1, -1);
  return anyProtocol((value, attrs) => {
    const metadata = attrs.request.filterMetadata?.[filter];
    if (metadata === undefined) {
      evaluation.notes.push(
        `${evaluation.rule}: ${key} reads Envoy metadata of ${filter}, which the request lacks`,
      );
      return false;
    }
    const actual = metadata[field];
    if (value.startsWith('[') && value.endsWith(']')) {
      return Array.isArray(actual) && claimMatches(value.slice(1, -1), actual);
    }
    return typeof actual === 'string' && stringMatches(value, actual);
  });
}

function whenAttribute(key: string, evaluation: Evaluation): Attribute | undefined {
  if (key === 'source.serviceAccount') return serviceAccountAttribute(evaluation.policyNamespace);
  const known = WHEN_ATTRIBUTES.get(key);
  if (known !== undefined) return known;
  for (const prefix of ['request.headers[', 'request.experimental.inline.headers[']) {
    if (!key.startsWith(prefix)) continue;
    // The header name is everything between the first `[` and the last `]`.
    const header = key.slice(prefix.length, -1).toLowerCase();
    if (!key.endsWith(']') || header === '') return malformedKey(key);
    return httpOnly((value, attrs) => headerMatches(value, attrs.headers.get(header)));
  }
  if (key.startsWith('request.auth.claims[')) {
    const path = bracketNames(key, 'request.auth.claims');
    if (path === undefined) return malformedKey(key);
    return httpOnly((value, attrs) => claimMatches(value, claimAt(claims(attrs), path)));
  }
  if (key.startsWith('experimental.envoy.filters.')) {
    return envoyFilterAttribute(key, evaluation) ?? malformedKey(key);
  }
  return undefined;
}

/** One field's values and `not*` values: OR of the values, AND NOT the OR of the negated ones. */
function fieldHolds(
  field: string,
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  attribute: Attribute,
  evaluation: Evaluation,
): boolean {
  const results = (list: readonly string[] | undefined): boolean[] =>
    (list ?? []).flatMap((value) => {
      const outcome =
        attribute.httpOnly && evaluation.attrs.isTcp
          ? `${field} is HTTP only`
          : attribute.test(value, evaluation.attrs);
      if (typeof outcome === 'boolean') return [outcome];
      if (evaluation.skipOnError) {
        throw new RuleSkipped(
          `${evaluation.rule}: ${outcome}, so this ALLOW rule is skipped and matches nothing`,
        );
      }
      evaluation.notes.push(`${evaluation.rule}: ${outcome}; ignored, which widens the rule`);
      return [];
    });
  const positive = results(values);
  const negative = results(notValues);
  return (positive.length === 0 || positive.some(Boolean)) && !negative.some(Boolean);
}

function sourceHolds(source: Source, evaluation: Evaluation): boolean {
  const fields: [string, keyof Source, keyof Source, Attribute][] = [
    ['ipBlocks', 'ipBlocks', 'notIpBlocks', SOURCE_IP],
    ['remoteIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks', REMOTE_IP],
    ['namespaces', 'namespaces', 'notNamespaces', SOURCE_NAMESPACE],
    ['requestPrincipals', 'requestPrincipals', 'notRequestPrincipals', REQUEST_PRINCIPAL],
    ['principals', 'principals', 'notPrincipals', SOURCE_PRINCIPAL],
    [
      'serviceAccounts',
      'serviceAccounts',
      'notServiceAccounts',
      serviceAccountAttribute(evaluation.policyNamespace),
    ],
    ['trustDomains', 'trustDomains', 'notTrustDomains', SOURCE_TRUST_DOMAIN],
  ];
  // Every field is evaluated, no short-circuit: istiod rejects a rule for any unusable value in it.
  return fields
    .map(([field, values, notValues, attribute]) =>
      fieldHolds(field, source[values], source[notValues], attribute, evaluation),
    )
    .every(Boolean);
}

function operationHolds(operation: Operation, evaluation: Evaluation): boolean {
  const fields: [keyof Operation, keyof Operation, Attribute][] = [
    ['hosts', 'notHosts', HOST],
    ['methods', 'notMethods', METHOD],
    ['paths', 'notPaths', PATH],
    ['ports', 'notPorts', DESTINATION_PORT],
  ];
  return fields
    .map(([values, notValues, attribute]) =>
      fieldHolds(values, operation[values], operation[notValues], attribute, evaluation),
    )
    .every(Boolean);
}

function conditionHolds(condition: Condition, evaluation: Evaluation): boolean {
  const attribute = whenAttribute(condition.key, evaluation);
  if (attribute === undefined) {
    // Unknown keys are caught when the model is built (the rule never matches); this guards hand-made models.
    evaluation.notes.push(`${evaluation.rule}: ${condition.key} is not a supported attribute`);
    return false;
  }
  return fieldHolds(condition.key, condition.values, condition.notValues, attribute, evaluation);
}

/** Whether `rule` of a policy in `policyNamespace` with `action` matches the request. */
export function evaluateRule(
  rule: AuthorizationRuleModel,
  action: AuthorizationAction,
  policyNamespace: string,
  attrs: RequestAttributes,
): RuleEvaluation {
  if (rule.neverMatches !== undefined) return { matched: false, notes: [] };
  const evaluation: Evaluation = {
    attrs,
    rule: rule.name,
    policyNamespace,
    skipOnError: action === 'ALLOW',
    notes: [],
  };
  try {
    const from = rule.from.map((source) => sourceHolds(source, evaluation));
    const to = rule.to.map((operation) => operationHolds(operation, evaluation));
    const when = rule.when.map((condition) => conditionHolds(condition, evaluation));
    const matched =
      (from.length === 0 || from.some(Boolean)) &&
      (to.length === 0 || to.some(Boolean)) &&
      when.every(Boolean);
    return { matched, notes: evaluation.notes };
  } catch (error) {
    if (error instanceof RuleSkipped) return { matched: false, notes: [...evaluation.notes, error.message] };
    throw error;
  }
}
