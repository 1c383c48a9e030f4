import { stringify } from 'yaml';

import {
  documentationUrl,
  formatMessage,
  isAtLeast,
  originName,
  type AnalysisLevel,
  type AnalysisMessage,
  type FileError,
} from '@mesh/policy';

import { renderSarif } from './render-sarif.js';

/** What `meshctl analyze` found. `-o json|yaml` print `shown` in istioctl's message form. */
export interface AnalysisReport {
  /** `namespace: default` or `all namespaces`, as istioctl names what it analyzed. */
  target: string;
  files: string[];
  /** Every message after the namespace filter and suppressions (what the failure threshold applies to). */
  messages: AnalysisMessage[];
  /** The messages at or above the output threshold. */
  shown: AnalysisMessage[];
  /** Parts of files that could not be analyzed (syntax errors, duplicate resources). */
  fileErrors: FileError[];
  failureThreshold: AnalysisLevel;
}

export type AnalysisFormat = 'log' | 'json' | 'yaml' | 'sarif';

/**
 * Exit codes, istioctl's (`istioctl/cmd/sysexits.go`): 0 nothing at or above the failure threshold,
 * 79 analyzers found issues at or above it, 1 files that could not be read or parsed (when nothing
 * else failed), 64 usage errors. As istioctl does, `-o json|yaml` (and `sarif`) exit 0 whatever was
 * found: the caller reads the levels from the output.
 */
export const EXIT_OK = 0;
export const EXIT_FILE_ERRORS = 1;
export const EXIT_USAGE = 64;
export const EXIT_FOUND_ISSUES = 79;

export function exitCodeOf(report: AnalysisReport, format: AnalysisFormat, ignoreUnknown: boolean): number {
  if (format !== 'log') return EXIT_OK;
  if (report.messages.some((m) => isAtLeast(m.level, report.failureThreshold))) return EXIT_FOUND_ISSUES;
  if (report.fileErrors.length > 0 && !ignoreUnknown) return EXIT_FILE_ERRORS;
  return EXIT_OK;
}

/** Standard output: the shown messages, one log line each, istioctl's JSON/YAML list, or a SARIF log. */
export function renderAnalysis(report: AnalysisReport, format: AnalysisFormat): string {
  if (format === 'log') return report.shown.map(formatMessage).join('\n');
  if (format === 'sarif') return renderSarif(report.shown);
  const list = report.shown.map(unstructured);
  return format === 'json' ? JSON.stringify(list, null, '\t') : stringify(list);
}

/** Keys in istioctl's order (Go marshals its map sorted); `reference` only for messages from files. */
function unstructured(message: AnalysisMessage): Record<string, string> {
  return {
    code: message.code,
    documentationUrl: documentationUrl(message.code),
    level: message.level,
    message: message.message,
    origin: originName(message.origin),
    ...(message.source === undefined ? {} : { reference: `${message.source.file}:${message.source.line}` }),
  };
}

/**
 * Standard error, as istioctl writes it: the file errors, then the verdict (success line, or the
 * failure the exit code stands for).
 */
export function renderAnalysisStatus(report: AnalysisReport, exitCode: number): string {
  const lines: string[] = [];
  if (report.fileErrors.length > 0) {
    const n = report.fileErrors.length;
    lines.push(`Error(s) adding files: ${n} ${n === 1 ? 'error' : 'errors'} occurred:`);
    lines.push(...report.fileErrors.map((error) => `\t* ${error.message}`));
  }
  if (report.shown.length === 0) {
    const n = new Set(report.fileErrors.map((error) => error.file)).size;
    lines.push(
      n === 0
        ? `✔ No validation issues found when analyzing ${report.files.join('\n')}.`
        : `No validation issues found when analyzing ${report.target} (but ${n} ${n === 1 ? 'file' : 'files'} could not be parsed).`,
    );
  }
  if (exitCode === EXIT_FOUND_ISSUES)
    lines.push(
      `Error: Analyzers found issues when analyzing ${report.target}.`,
      'See https://istio.io/latest/docs/reference/config/analysis for more information about causes and resolutions.',
    );
  else if (exitCode === EXIT_FILE_ERRORS) lines.push("Error: Some files couldn't be parsed.");
  return lines.join('\n');
}

/** `-L`: istioctl's list, sorted by name: `* name:` then the description, indented. */
export function renderAnalyzerList(analyzers: readonly { name: string; description: string }[]): string {
  return [...analyzers]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((a) => `* ${a.name}:\n    ${a.description}`)
    .join('\n');
}
