import type {
  AuthorizationPolicySpec,
  Condition,
  Operation,
  Source,
} from '../../api/security/authorization-policy.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkPolicyTargets } from './common.js';
import {
  checkAuthorizationPort,
  checkPathTemplate,
  checkServiceAccount,
  checkTrustDomain,
} from './authorization-values.js';
import { checkIpOrCidr } from './primitives.js';

/**
 * AuthorizationPolicy rules (Istio's `ValidateAuthorizationPolicy`). The action decides what a policy
 * needs: CUSTOM delegates to an ext-authz `provider` (and only CUSTOM may name one); DENY and CUSTOM
 * without `rules` would never trigger; ALLOW without rules (`spec: {}`) denies everything, on purpose.
 */

/** Source fields an ext-authz (CUSTOM) policy cannot match on: the identity is not known to it yet. */
const CUSTOM_UNSUPPORTED_SOURCE = [
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'trustDomains',
  'notTrustDomains',
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
] as const;
const CUSTOM_UNSUPPORTED_KEYS = new Set([
  'source.namespace',
  'source.serviceAccount',
  'source.trustDomain',
  'source.principal',
]);

export function checkAuthorizationPolicy(spec: AuthorizationPolicySpec, c: FindingCollector): void {
  checkPolicyTargets(spec, c);
  const action = spec.action ?? 'ALLOW';
  const noRules = (spec.rules?.length ?? 0) === 0;
  const meaningless = `${action} action without \`rules\` is meaningless as it will never be triggered, add an empty rule \`{}\` if you want it be triggered for every request`;
  if (action === 'CUSTOM') {
    if (noRules) c.error('AUTHZ_ACTION_INVALID', 'spec.rules', meaningless);
    else if ((spec.provider?.name ?? '') === '')
      c.error('AUTHZ_ACTION_INVALID', 'spec.provider.name', '`provider.name` must not be empty');
  } else if (spec.provider !== undefined) {
    c.error(
      'AUTHZ_ACTION_INVALID',
      'spec.provider',
      `\`provider\` must not be with non CUSTOM action, found ${action}`,
    );
  }
  if (action === 'DENY' && noRules) c.error('AUTHZ_ACTION_INVALID', 'spec.rules', meaningless);

  spec.rules?.forEach((rule, i) => {
    const at = item('spec.rules', i);
    if (rule.from !== undefined && rule.from.length === 0)
      c.error('AUTHZ_RULE_INVALID', field(at, 'from'), `\`from\` must not be empty, found at rule ${i}`);
    if (rule.to !== undefined && rule.to.length === 0)
      c.error('AUTHZ_RULE_INVALID', field(at, 'to'), `\`to\` must not be empty, found at rule ${i}`);
    let tcpInFrom = false;
    let tcpInTo = false;
    rule.from?.forEach((from, f) => {
      const where = field(item(field(at, 'from'), f), 'source');
      if (from.source === undefined)
        return c.error('AUTHZ_RULE_INVALID', where, `\`from.source\` must not be nil, found at rule ${i}`);
      tcpInFrom = checkSource(from.source, where, i, c) || tcpInFrom;
      if (action === 'CUSTOM') {
        for (const name of CUSTOM_UNSUPPORTED_SOURCE) {
          if ((from.source[name]?.length ?? 0) > 0)
            c.error(
              'AUTHZ_ACTION_INVALID',
              field(where, name),
              `${name} is currently not supported with CUSTOM action`,
            );
        }
      }
    });
    rule.to?.forEach((to, t) => {
      const where = field(item(field(at, 'to'), t), 'operation');
      if (to.operation === undefined)
        return c.error('AUTHZ_RULE_INVALID', where, `\`to.operation\` must not be nil, found at rule ${i}`);
      tcpInTo = checkOperation(to.operation, where, i, c) || tcpInTo;
    });
    rule.when?.forEach((condition, w) => {
      const where = item(field(at, 'when'), w);
      checkCondition(condition, where, c);
      if (
        action === 'CUSTOM' &&
        (CUSTOM_UNSUPPORTED_KEYS.has(condition.key) || condition.key.startsWith('request.auth.'))
      ) {
        c.error(
          'AUTHZ_ACTION_INVALID',
          field(where, 'key'),
          `${condition.key} is currently not supported with CUSTOM action`,
        );
      }
    });
    // A DENY rule matching only HTTP attributes cannot be evaluated on TCP traffic, so Envoy's network
    // RBAC filter denies every TCP connection in scope instead.
    const fromOnly =
      (rule.from?.some((f) => f.source !== undefined) ?? false) &&
      !(rule.to?.some((t) => t.operation !== undefined) ?? false);
    const toHttpOnly = (rule.to?.some((t) => t.operation !== undefined) ?? false) && !tcpInTo;
    if (action === 'DENY' && ((fromOnly && !tcpInFrom) || toHttpOnly)) {
      c.warning(
        'AUTHZ_RULE_INVALID',
        at,
        'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
      );
    }
  });
}

function checkValues(
  values: readonly string[] | undefined,
  path: string,
  name: string,
  c: FindingCollector,
): void {
  values?.forEach((value, v) => {
    if (value === '')
      c.error('AUTHZ_RULE_INVALID', item(path, v), `empty value not allowed, found in ${name}`);
  });
}

/** The format of one source value: IP blocks are IPs or CIDRs; service accounts and trust domains as in `authorization-values.ts`. */
function checkSourceValue(
  name: keyof Source,
  value: string,
): ['ADDRESS_INVALID' | 'AUTHZ_RULE_INVALID', string] | undefined {
  if (/IpBlocks$/i.test(name)) {
    const problem = checkIpOrCidr(value);
    return problem === undefined ? undefined : ['ADDRESS_INVALID', problem];
  }
  const problem = /ServiceAccounts$/i.test(name)
    ? checkServiceAccount(value)
    : /TrustDomains$/i.test(name)
      ? checkTrustDomain(value)
      : undefined;
  return problem === undefined ? undefined : ['AUTHZ_RULE_INVALID', problem];
}

/** Returns whether the source matches on attributes TCP traffic carries (peer identity, IPs). */
function checkSource(source: Source, path: string, rule: number, c: FindingCollector): boolean {
  const set = (Object.keys(source) as (keyof Source)[]).filter((name) => (source[name]?.length ?? 0) > 0);
  if (set.length === 0)
    c.error('AUTHZ_RULE_INVALID', path, `\`from.source\` must not be empty, found at rule ${rule}`);
  const identity = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some((n) =>
    set.includes(n as keyof Source),
  );
  if (identity && (set.includes('serviceAccounts') || set.includes('notServiceAccounts'))) {
    c.error(
      'AUTHZ_RULE_INVALID',
      path,
      `cannot set serviceAccounts with namespaces or principals, found at rule ${rule}`,
    );
  }
  for (const name of Object.keys(source) as (keyof Source)[]) {
    const at = field(path, name);
    checkValues(source[name], at, name, c);
    source[name]?.forEach((value, i) => {
      const problem = value === '' ? undefined : checkSourceValue(name, value);
      if (problem !== undefined) c.error(problem[0], item(at, i), problem[1]);
    });
  }
  const tcpFields: (keyof Source)[] = [
    'principals',
    'notPrincipals',
    'ipBlocks',
    'notIpBlocks',
    'namespaces',
    'notNamespaces',
    'remoteIpBlocks',
    'notRemoteIpBlocks',
    'serviceAccounts',
    'notServiceAccounts',
  ];
  return tcpFields.some((name) => source[name] !== undefined);
}

/** Returns whether the operation matches on ports (the only operation attribute TCP traffic has). */
function checkOperation(operation: Operation, path: string, rule: number, c: FindingCollector): boolean {
  if ((Object.keys(operation) as (keyof Operation)[]).every((name) => (operation[name]?.length ?? 0) === 0)) {
    c.error('AUTHZ_RULE_INVALID', path, `\`to.operation\` must not be empty, found at rule ${rule}`);
  }
  for (const name of Object.keys(operation) as (keyof Operation)[]) {
    const at = field(path, name);
    checkValues(operation[name], at, name, c);
    if (name === 'ports' || name === 'notPorts')
      operation[name]?.forEach((p, i) => c.check('PORT_INVALID', item(at, i), checkAuthorizationPort(p)));
    if (name === 'paths' || name === 'notPaths') {
      operation[name]?.forEach((p, i) =>
        c.check('AUTHZ_RULE_INVALID', item(at, i), checkPathTemplate(p, name)),
      );
    }
  }
  return operation.ports !== undefined || operation.notPorts !== undefined;
}

/** Attributes a `when` condition can test; `a[b]` keys take a header, claim or filter name. */
const PLAIN_KEYS = new Set([
  'source.namespace',
  'source.principal',
  'source.serviceAccount',
  'source.trustDomain',
  'request.auth.principal',
  'request.auth.audiences',
  'request.auth.presenter',
  'connection.sni',
]);
const IP_KEYS = new Set(['source.ip', 'remote.ip', 'destination.ip']);
const MAP_KEY_PREFIXES = [
  'request.headers',
  'request.experimental.inline.headers',
  'request.auth.claims',
  'experimental.envoy.filters.',
];

function checkConditionKey(key: string): string | undefined {
  if (PLAIN_KEYS.has(key) || IP_KEYS.has(key) || key === 'destination.port') return undefined;
  if (MAP_KEY_PREFIXES.some((prefix) => key.startsWith(prefix))) {
    const open = key.indexOf('[');
    return key.endsWith(']') && open > 0 && open < key.length - 2
      ? undefined
      : `bad key (${key}): should have format a[b]`;
  }
  if (key === 'destination.namespace') return `attribute ${key} is replaced by the metadata.namespace`;
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  if (key === 'destination.name' || key === 'destination.user')
    return `deprecated attribute ${key}: only supported in v1alpha1`;
  return `unknown attribute: ${key}`;
}

function checkCondition(condition: Condition, path: string, c: FindingCollector): void {
  const key = condition.key;
  if (key === '') return c.error('AUTHZ_CONDITION_INVALID', field(path, 'key'), '`key` must not be empty');
  if ((condition.values?.length ?? 0) === 0 && (condition.notValues?.length ?? 0) === 0) {
    return c.error(
      'AUTHZ_CONDITION_INVALID',
      path,
      `at least one of \`values\` or \`notValues\` must be set for key ${key}`,
    );
  }
  const keyProblem = checkConditionKey(key);
  if (keyProblem !== undefined) return c.error('AUTHZ_CONDITION_INVALID', field(path, 'key'), keyProblem);
  for (const list of ['values', 'notValues'] as const) {
    condition[list]?.forEach((value, i) => {
      const at = item(field(path, list), i);
      if (value === '') c.error('AUTHZ_CONDITION_INVALID', at, `empty value not allowed, found in ${key}`);
      else if (IP_KEYS.has(key)) c.check('AUTHZ_CONDITION_INVALID', at, checkIpOrCidr(value));
      else if (key === 'destination.port')
        c.check('AUTHZ_CONDITION_INVALID', at, checkAuthorizationPort(value));
      else if (key === 'source.serviceAccount')
        c.check('AUTHZ_CONDITION_INVALID', at, checkServiceAccount(value));
    });
  }
}
