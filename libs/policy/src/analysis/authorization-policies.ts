import { selectorMatches } from '../evaluation/workload-selection.js';
import {
  selectorString,
  specOf,
  workloadInMesh,
  type AnalysisContext,
  type AnalysisWorkload,
} from './analysis-context.js';
import type { AnalysisResource } from './analysis-input.js';
import { newMessage, quoted, type AnalysisMessage } from './messages.js';

/**
 * Istio's `auth.AuthorizationPoliciesAnalyzer`: a policy selects at least one workload in the mesh
 * (IST0127; a policy in the root namespace is checked against every namespace, one without a
 * selector against its namespace), and the namespaces its sources name exist (IST0101).
 *
 * Where the files cannot tell, nothing is reported (istioctl reports): no workload in the files at
 * all, a policy attached by `targetRef` (to a gateway or service, not to pods), or, for namespaces,
 * files that define no Namespace.
 */
export function analyzeAuthorizationPolicies(ctx: AnalysisContext): AnalysisMessage[] {
  const messages: AnalysisMessage[] = [];
  const inMesh = ctx.workloads().filter((w) => workloadInMesh(w, ctx));
  const namespacesKnown = ctx.ofKind('Namespace').length > 0;
  for (const policy of ctx.ofKind('AuthorizationPolicy')) {
    if (ctx.workloadsKnown) {
      const message = noMatchingWorkloads(policy, ctx, inMesh);
      if (message !== undefined) messages.push(message);
    }
    if (namespacesKnown) messages.push(...namespacesNotFound(policy, ctx));
  }
  return messages;
}

function noMatchingWorkloads(
  policy: AnalysisResource,
  ctx: AnalysisContext,
  inMesh: readonly AnalysisWorkload[],
): AnalysisMessage | undefined {
  const spec = specOf(policy, 'AuthorizationPolicy');
  if (spec.targetRef !== undefined || (spec.targetRefs ?? []).length > 0) return undefined;
  const matchLabels = spec.selector?.matchLabels;
  const meshWide = policy.namespace === ctx.meshConfig.rootNamespace;
  if (matchLabels === undefined) {
    if (meshWide || inMesh.some((w) => w.namespace === policy.namespace)) return undefined;
    return newMessage(
      'NoMatchingWorkloadsFound',
      policy,
      'No matching workloads for this resource with the following labels: ',
    );
  }
  const candidates = meshWide ? inMesh : inMesh.filter((w) => w.namespace === policy.namespace);
  if (candidates.some((w) => selectorMatches({ matchLabels }, w.labels))) return undefined;
  return newMessage(
    'NoMatchingWorkloadsFound',
    policy,
    `No matching workloads for this resource with the following labels: ${selectorString(matchLabels)}`,
    'spec.selector.matchLabels',
  );
}

function namespacesNotFound(policy: AnalysisResource, ctx: AnalysisContext): AnalysisMessage[] {
  const spec = specOf(policy, 'AuthorizationPolicy');
  const existing = ctx.ofKind('Namespace').map((ns) => ns.name);
  const messages: AnalysisMessage[] = [];
  (spec.rules ?? []).forEach((rule, i) =>
    (rule.from ?? []).forEach((from, j) => {
      for (const field of ['namespaces', 'notNamespaces'] as const)
        (from.source?.[field] ?? []).forEach((pattern, k) => {
          if (existing.some((ns) => namespaceMatches(ns, pattern))) return;
          messages.push(
            newMessage(
              'ReferencedResourceNotFound',
              policy,
              `Referenced namespace not found: ${quoted(pattern)}`,
              `spec.rules[${i}].from[${j}].source.${field}[${k}]`,
            ),
          );
        });
    }),
  );
  return messages;
}

/** Istio's namespace patterns: `*`, a `*suffix`, a `prefix*`, or an exact name (case-insensitive). */
function namespaceMatches(namespace: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return namespace.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
  return namespace.toLowerCase() === pattern.toLowerCase();
}
