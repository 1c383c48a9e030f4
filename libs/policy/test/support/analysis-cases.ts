import { expect, it } from 'vitest';

import { buildAnalysisInput, readAnalysisFile } from '../../src/analysis/analysis-input.js';
import { analyzeConfig, type AnalyzeOptions } from '../../src/analysis/analyze.js';
import { formatMessage } from '../../src/analysis/messages.js';

/**
 * Table-driven analysis cases: YAML files (name → text) and the exact lines `meshctl analyze` prints
 * for them in istioctl's log format, restricted to the codes under test. An empty list means nothing
 * of those codes may be reported: the negative cases matter as much as the positive ones.
 */
export interface AnalysisCase {
  name: string;
  files: Record<string, string>;
  expect: string[];
  options?: AnalyzeOptions & { defaultNamespace?: string };
}

let version = 0;

/** The log lines of the analysis of `files`, as istioctl's files-only mode (`--use-kube=false`) runs it. */
export function analyzeFiles(
  files: Record<string, string>,
  options: AnalyzeOptions & { defaultNamespace?: string } = {},
): string[] {
  const read = Object.entries(files).map(([file, text]) =>
    readAnalysisFile(text, file, () => String(++version)),
  );
  const input = buildAnalysisInput(read, {
    defaultNamespace: options.defaultNamespace ?? 'default',
    addInstallDefaults: true,
    istioNamespace: 'istio-system',
  });
  return analyzeConfig(input, { namespace: 'default', ...options }).map(formatMessage);
}

export function runAnalysisCases(codes: readonly string[], cases: readonly AnalysisCase[]): void {
  for (const c of cases)
    it(c.name, () => {
      const lines = analyzeFiles(c.files, c.options).filter((line) =>
        codes.some((code) => line.includes(`[${code}]`)),
      );
      expect(lines).toEqual(c.expect);
    });
}
