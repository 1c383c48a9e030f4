import type { AuthorizationAction, AuthorizationRuleModel, Operation, Source } from '@mesh/policy';

import {
  authnMetadata,
  cidrRange,
  headerMatcher,
  httpOnly,
  namespacePrincipal,
  portNumber,
  principalName,
  serviceAccountPrincipal,
  stringMatcher,
  trustDomainPrincipal,
  UnsupportedValue,
} from './rbac-matchers.js';

/**
 * One AuthorizationPolicy rule as an Envoy RBAC `Policy`, following istiod's `authz/model` package:
 * every `to` becomes a permission and every `from` a principal (ORed by Envoy), each an AND of one
 * OR-list per field; `not*` lists become a negated OR-list; `when` conditions are ANDed into every
 * permission (destination attributes) or principal (source and request attributes).
 */

type Obj = Record<string, unknown>;

/** Produces the Envoy matcher of one value; throws {@link UnsupportedValue} when it cannot. */
type ValueMatcher = (value: string) => Obj;

interface Field {
  values: readonly string[];
  notValues: readonly string[];
  match: ValueMatcher;
}

/** Istio's `rbacPolicyMatchNever`: a policy for a rule that can never match. */
export const RBAC_POLICY_MATCH_NEVER: Obj = {
  permissions: [{ not_rule: { any: true } }],
  principals: [{ not_id: { any: true } }],
};

export interface RuleContext {
  forTcp: boolean;
  action: AuthorizationAction;
  /** The namespace of the policy (resolves `serviceAccounts` without a namespace). */
  policyNamespace: string;
}

/** Envoy's boolean combinators, which differ between permissions and principals. */
interface Combinators {
  and: (items: Obj[]) => Obj;
  or: (items: Obj[]) => Obj;
  not: (item: Obj) => Obj;
}

const PERMISSION: Combinators = {
  and: (rules) => ({ and_rules: { rules } }),
  or: (rules) => ({ or_rules: { rules } }),
  not: (rule) => ({ not_rule: rule }),
};

const PRINCIPAL: Combinators = {
  and: (ids) => ({ and_ids: { ids } }),
  or: (ids) => ({ or_ids: { ids } }),
  not: (id) => ({ not_id: id }),
};

/**
 * The values of one field as AND terms: an OR of the values, and a NOT of the OR of the `not*`
 * values. A value that cannot be expressed fails the whole rule for ALLOW (a narrower allow) and is
 * dropped for DENY, AUDIT and CUSTOM (a wider match): istiod's `rule.checkError`.
 */
function terms(field: Field, ctx: RuleContext, c: Combinators): Obj[] {
  const convert = (values: readonly string[]): Obj[] =>
    values.flatMap((value) => {
      try {
        return [field.match(value)];
      } catch (error) {
        if (ctx.action === 'ALLOW' || !(error instanceof UnsupportedValue)) throw error;
        return [];
      }
    });
  const positive = convert(field.values);
  const negative = convert(field.notValues);
  return [
    ...(positive.length > 0 ? [c.or(positive)] : []),
    ...(negative.length > 0 ? [c.not(c.or(negative))] : []),
  ];
}

/** An AND of every field's terms; no terms at all matches anything. */
function combine(fields: readonly Field[], ctx: RuleContext, c: Combinators): Obj {
  const and = fields.flatMap((f) => terms(f, ctx, c));
  return c.and(and.length > 0 ? and : [{ any: true }]);
}

function field(values: string[] | undefined, notValues: string[] | undefined, match: ValueMatcher): Field {
  return { values: values ?? [], notValues: notValues ?? [], match };
}

/** Brackets of `request.headers[x-user]` / `request.auth.claims[a][b]`. */
function bracketNames(key: string, prefix: string): string[] {
  const rest = key.slice(prefix.length);
  const names = [...rest.matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1] ?? '');
  if (names.length === 0 || names.map((n) => `[${n}]`).join('') !== rest)
    throw new UnsupportedValue(`malformed attribute ${key}`);
  return names;
}

/** Where a `when` condition goes and how its values match; undefined for attributes we skip. */
function whenField(
  key: string,
  ctx: RuleContext,
): { side: 'permission' | 'principal'; match: ValueMatcher } | undefined {
  const http =
    (match: ValueMatcher): ValueMatcher =>
    (value) => {
      httpOnly(key, ctx.forTcp);
      return match(value);
    };
  switch (key) {
    case 'destination.ip':
      return { side: 'permission', match: (v) => ({ destination_ip: cidrRange(v) }) };
    case 'destination.port':
      return { side: 'permission', match: (v) => ({ destination_port: portNumber(v) }) };
    case 'connection.sni':
      return { side: 'permission', match: (v) => ({ requested_server_name: stringMatcher(v) }) };
    case 'source.ip':
      return { side: 'principal', match: (v) => ({ direct_remote_ip: cidrRange(v) }) };
    case 'remote.ip':
      return { side: 'principal', match: (v) => ({ remote_ip: cidrRange(v) }) };
    case 'source.namespace':
      return { side: 'principal', match: namespacePrincipal };
    case 'source.principal':
      return { side: 'principal', match: principalName };
    case 'source.serviceAccount':
      return { side: 'principal', match: (v) => serviceAccountPrincipal(v, ctx.policyNamespace) };
    case 'source.trustDomain':
      return { side: 'principal', match: trustDomainPrincipal };
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
      return { side: 'principal', match: http((v) => authnMetadata([key], v, false)) };
  }
  if (key.startsWith('request.headers[')) {
    return {
      side: 'principal',
      match: http((v) => ({ header: headerMatcher(bracketNames(key, 'request.headers')[0] ?? '', v) })),
    };
  }
  if (key.startsWith('request.auth.claims[')) {
    return {
      side: 'principal',
      match: http((v) =>
        authnMetadata(['request.auth.claims', ...bracketNames(key, 'request.auth.claims')], v, true),
      ),
    };
  }
  // `experimental.envoy.filters.*` and inline headers need Envoy metadata we do not model.
  return undefined;
}

/** `match`, refused on TCP chains (istiod: "... is HTTP only"). */
function httpOnlyMatcher(key: string, ctx: RuleContext, match: ValueMatcher): ValueMatcher {
  return (value) => {
    httpOnly(key, ctx.forTcp);
    return match(value);
  };
}

/** `to[].operation` fields in istiod's order: hosts, methods, paths, ports. */
function operationFields(op: Operation, ctx: RuleContext): Field[] {
  return [
    field(
      op.hosts,
      op.notHosts,
      httpOnlyMatcher('hosts', ctx, (v) => ({ header: headerMatcher(':authority', v, true) })),
    ),
    field(
      op.methods,
      op.notMethods,
      httpOnlyMatcher('methods', ctx, (v) => ({ header: headerMatcher(':method', v) })),
    ),
    field(
      op.paths,
      op.notPaths,
      httpOnlyMatcher('paths', ctx, (v) => ({ url_path: { path: pathMatcher(v) } })),
    ),
    field(op.ports, op.notPorts, (v) => ({ destination_port: portNumber(v) })),
  ];
}

/** `from[].source` fields in istiod's order (identities first, then addresses). */
function sourceFields(src: Source, ctx: RuleContext): Field[] {
  return [
    field(src.principals, src.notPrincipals, principalName),
    field(src.serviceAccounts, src.notServiceAccounts, (v) =>
      serviceAccountPrincipal(v, ctx.policyNamespace),
    ),
    field(src.trustDomains, src.notTrustDomains, trustDomainPrincipal),
    field(
      src.requestPrincipals,
      src.notRequestPrincipals,
      httpOnlyMatcher('requestPrincipals', ctx, (v) => authnMetadata(['request.auth.principal'], v, false)),
    ),
    field(src.namespaces, src.notNamespaces, namespacePrincipal),
    field(src.remoteIpBlocks, src.notRemoteIpBlocks, (v) => ({ remote_ip: cidrRange(v) })),
    field(src.ipBlocks, src.notIpBlocks, (v) => ({ direct_remote_ip: cidrRange(v) })),
  ];
}

/**
 * The Envoy `Policy` of one rule, or `undefined` when istiod would skip the rule on this chain (an
 * ALLOW rule using an attribute the chain cannot evaluate, e.g. `methods` on TCP).
 */
export function rbacPolicyOf(rule: AuthorizationRuleModel, ctx: RuleContext): Obj | undefined {
  if (rule.neverMatches !== undefined) return RBAC_POLICY_MATCH_NEVER;
  const basePermission: Field[] = [];
  const basePrincipal: Field[] = [];
  for (const condition of rule.when) {
    const target = whenField(condition.key, ctx);
    const f = field(condition.values, condition.notValues, (value) => {
      if (!target) throw new UnsupportedValue(`attribute ${condition.key} is not supported`);
      return target.match(value);
    });
    (target?.side === 'permission' ? basePermission : basePrincipal).push(f);
  }
  try {
    const permissions = (rule.to.length > 0 ? rule.to : [{}]).map((op) =>
      combine([...operationFields(op, ctx), ...basePermission], ctx, PERMISSION),
    );
    const principals = (rule.from.length > 0 ? rule.from : [{}]).map((src) =>
      combine([...sourceFields(src, ctx), ...basePrincipal], ctx, PRINCIPAL),
    );
    return { permissions, principals };
  } catch (error) {
    if (error instanceof UnsupportedValue) return undefined;
    throw error;
  }
}

/** Path templates (`{*}`, `{**}`) need Envoy's uri_template matcher, which we do not load. */
function pathMatcher(value: string): Obj {
  if (value.includes('{')) throw new UnsupportedValue(`path template ${value} is not supported`);
  return stringMatcher(value);
}
