import type { Finding } from '@mesh/policy/formatting';

/**
 * How what `meshctl local apply` added meets the mesh file's config in istiod's config directory: the
 * applied set is one file, `applied.yaml`, first in path order beside the mesh file's copy (`mesh/`),
 * and istiod takes the first definition of a resource. A resource applied over one the mesh file
 * already defines therefore overrides it — as intended — while istiod, which knows nothing of `local
 * apply`, reports the mesh file's definition as an ignored duplicate (DUPLICATE_RESOURCE). This module
 * is where that report is told apart from a real duplicate; it loads no mesh library, since `local
 * status` uses it.
 */

/** The applied set: in the state directory, and as istiod reads it in the config directory. */
export const APPLIED_FILE = 'applied.yaml';

/** `VirtualService default/reviews`, as messages name a resource. */
export function describeResource(config: { kind: string; namespace: string; name: string }): string {
  return `${config.kind} ${config.namespace ? `${config.namespace}/` : ''}${config.name}`;
}

/** A resource of `/debug/configz`: in force, with the file (relative to the config directory) it came from. */
export interface ResourceInForce {
  kind: string;
  namespace: string;
  name: string;
  source?: { file: string; line: number };
}

/** A mesh file's definition that one applied by `local apply` overrides. */
export interface AppliedOverride {
  kind: string;
  namespace: string;
  name: string;
  /** The mesh file's definition, as istiod reads it (its copy in the config directory): not in force. */
  overridden?: { file: string; line: number };
  /** The applied definition, in force (in the config directory's `applied.yaml`). */
  applied?: { file: string; line: number };
}

/**
 * Splits istiod's findings: the duplicates whose definition in force is the applied set's are
 * overrides; every other finding (real duplicates between the mesh file's own files included) stays
 * invalid config.
 */
export function appliedOverrides(
  findings: readonly Finding[],
  inForce: readonly ResourceInForce[],
): { invalid: Finding[]; overrides: AppliedOverride[] } {
  const key = (r: { kind: string; namespace: string; name: string }) => `${r.kind}/${r.namespace}/${r.name}`;
  const applied = new Map(inForce.filter((r) => r.source?.file === APPLIED_FILE).map((r) => [key(r), r]));
  const invalid: Finding[] = [];
  const overrides: AppliedOverride[] = [];
  for (const finding of findings) {
    const winner = finding.code === 'DUPLICATE_RESOURCE' ? applied.get(key(finding)) : undefined;
    if (!winner) {
      invalid.push(finding);
      continue;
    }
    overrides.push({
      kind: finding.kind,
      namespace: finding.namespace,
      name: finding.name,
      ...(finding.source ? { overridden: finding.source } : {}),
      ...(winner.source ? { applied: winner.source } : {}),
    });
  }
  return { invalid, overrides };
}

/** `DestinationRule default/web (mesh/rules.yaml:1) overridden by applied.yaml:3`. */
export function formatOverride(override: AppliedOverride): string {
  const at = (where?: { file: string; line: number }) => (where ? `${where.file}:${where.line}` : '?');
  return `${describeResource(override)} (${at(override.overridden)}) overridden by ${at(override.applied)}`;
}
