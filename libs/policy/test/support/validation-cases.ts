import { expect, it } from 'vitest';

import { ISTIO_KINDS, type IstioKindName } from '../../src/api-kinds.js';
import { validateResource } from '../../src/validation/validate-resource.js';

/**
 * Table-driven validation cases. Each case is a spec (or a whole object) and the exact findings it must
 * produce, written `<E|W> <CODE> <field path>`; an empty list means the resource is valid.
 */
export interface ValidationCase {
  name: string;
  kind: IstioKindName;
  spec?: unknown;
  /** Overrides for the whole object (apiVersion, metadata, ...). */
  object?: Record<string, unknown>;
  expect: string[];
  /** Substrings the findings' messages must contain, in any finding. */
  messages?: string[];
}

/** A resource of `kind` at its storage version, named `test` in namespace `default`. */
export function istioObject(
  kind: IstioKindName,
  spec: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const meta = ISTIO_KINDS.find((k) => k.kind === kind)!;
  return {
    apiVersion: `${meta.group}/${meta.versions[0]}`,
    kind,
    metadata: { name: 'test', namespace: 'default' },
    ...(spec === undefined ? {} : { spec }),
    ...extra,
  };
}

/** `E CODE path` / `W CODE path` for each finding, sorted, so tables compare exactly. */
export function summarize(object: unknown): { lines: string[]; messages: string[] } {
  const { errors, warnings } = validateResource(object);
  const findings = [...errors, ...warnings];
  return {
    lines: findings.map((f) => `${f.level === 'Error' ? 'E' : 'W'} ${f.code} ${f.path}`).sort(),
    messages: findings.map((f) => f.message),
  };
}

export function runCases(cases: readonly ValidationCase[]): void {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { lines, messages } = summarize(istioObject(c.kind, c.spec, c.object));
    expect(lines).toEqual([...c.expect].sort());
    for (const fragment of c.messages ?? []) expect(messages.join('\n')).toContain(fragment);
  });
}
