import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect } from 'vitest';
import { stringify } from 'yaml';

import { resourceTypeFor } from '../src/resources/registry.js';

/**
 * Golden files for generators (DESIGN §11): `<dir>/<case>.in.yaml` beside `<case>.out.yaml`.
 * `UPDATE_GOLDEN=1 npx vitest run` rewrites the outputs; review the diff like code.
 */
export function goldenCases(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.in.yaml'))
    .map((f) => f.slice(0, -'.in.yaml'.length))
    .sort();
}

/** Every generated resource must be valid Envoy config that survives the wire. */
export function expectValidEnvoy(typeUrl: string, resources: readonly object[]): void {
  const type = resourceTypeFor(typeUrl);
  if (!type) throw new Error(`no resource type for ${typeUrl}`);
  for (const resource of resources) expect(type.validate(type.decode(type.encode(resource)))).toEqual([]);
}

export function expectGolden(dir: string, name: string, output: unknown): void {
  const golden = join(dir, `${name}.out.yaml`);
  const text = stringify(output, { lineWidth: 0, aliasDuplicateObjects: false });
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
  expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(readFileSync(golden, 'utf8'));
}

export function readCase(dir: string, name: string): string {
  return readFileSync(join(dir, `${name}.in.yaml`), 'utf8');
}
