import { formatFinding, type Finding } from '@mesh/policy';

/** What `meshctl validate` found. `-o json` prints exactly this object. */
export interface ValidationReport {
  files: string[];
  /** Resources read (valid or not), across all files. */
  resources: number;
  errors: number;
  warnings: number;
  findings: Finding[];
}

/** Human output: one line per finding in `istioctl analyze` form, then a summary line. */
export function renderValidationText(report: ValidationReport): string {
  const lines = report.findings.map(formatFinding);
  if (report.errors === 0 && report.warnings === 0) {
    lines.push(
      `✔ No validation issues found in ${report.resources} resources from ${report.files.length} files.`,
    );
  } else {
    lines.push(
      `${report.errors} errors, ${report.warnings} warnings in ${report.resources} resources from ${report.files.length} files.`,
    );
  }
  return lines.join('\n');
}

export function renderValidation(report: ValidationReport, format: 'text' | 'json'): string {
  return format === 'json' ? JSON.stringify(report, null, 2) : renderValidationText(report);
}
