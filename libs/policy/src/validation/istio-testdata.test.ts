import { readdirSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseConfigFile, type ParsedFile } from '../loader/config-file.js';

/**
 * Istio's own YAML, vendored in src/testdata/istio-api (see its SOURCES.md): the bookinfo samples and
 * the CRD validation test data of pkg/config/validation/testdata/crds. `meshctl validate` reads each
 * file through `parseConfigFile`, so that is what runs here: every valid file must parse without an
 * error, and every document of an `*-invalid.yaml` must be refused on its own.
 */

const TESTDATA = new URL('../testdata/istio-api/', import.meta.url);
const filesIn = (dir: string, suffix: string) =>
  readdirSync(new URL(dir, TESTDATA))
    .filter((name) => name.endsWith(suffix))
    .sort();
const read = (dir: string, name: string) => readFileSync(new URL(`${dir}${name}`, TESTDATA), 'utf8');

let version = 0;
const parse = (text: string, file: string): ParsedFile => parseConfigFile(text, file, () => `${++version}`);
const errorsOf = (parsed: ParsedFile) =>
  parsed.invalid.map((f) => `${f.source?.line ?? '?'}: ${f.path} ${f.message}`);

/**
 * The documents of an invalid-cases file, verbatim, without the `_err:` line Istio's test harness reads
 * (the error Kubernetes reports), which is not part of the resource.
 */
function invalidCases(text: string): { expected: string; text: string }[] {
  return text
    .split(/^---[ \t]*$/m)
    .map((document) => {
      const expected = /^_err:\s*(.*)$/m.exec(document)?.[1] ?? '';
      return { expected, text: document.replace(/^_err:.*$/m, '') };
    })
    .filter((document) => document.expected !== '');
}

/** The bookinfo samples that are Istio resources: networking, and the one non-Mixer policy sample. */
const SAMPLES = { 'bookinfo/': 22, 'bookinfo-policy/': 1 } as const;

describe("Istio's bookinfo samples", () => {
  for (const [dir, count] of Object.entries(SAMPLES)) {
    const files = filesIn(dir, '.yaml');

    it(`${dir}: all ${count} are here`, () => expect(files.length).toBe(count));

    for (const file of files) {
      it(`${dir}${file} is valid`, () => {
        const parsed = parse(read(dir, file), file);
        expect(parsed.resources).toBeGreaterThan(0);
        expect(errorsOf(parsed)).toEqual([]);
      });
    }
  }
});

describe("Istio's CRD validation test data", () => {
  const valid = filesIn('validation/', '-valid.yaml');
  const invalid = filesIn('validation/', '-invalid.yaml');

  it('has a valid and an invalid file per kind', () => {
    expect(valid.length).toBe(11);
    expect(invalid.map((f) => f.replace('-invalid', '-valid'))).toEqual(valid);
  });

  for (const file of valid) {
    it(`${file}: every resource is accepted`, () => {
      const parsed = parse(read('validation/', file), file);
      expect(parsed.resources).toBeGreaterThan(0);
      expect(errorsOf(parsed)).toEqual([]);
    });
  }

  for (const file of invalid) {
    const cases = invalidCases(read('validation/', file));
    it(`${file}: has cases`, () => expect(cases.length).toBeGreaterThan(0));
    cases.forEach((entry, index) => {
      it(`${file} #${index + 1} is refused (Istio: ${entry.expected})`, () => {
        const parsed = parse(entry.text, `${file}#${index + 1}`);
        expect(parsed.invalid.length, `accepted: ${entry.text}`).toBeGreaterThan(0);
      });
    });
  }
});
