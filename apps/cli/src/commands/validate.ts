import { Command, Flags } from '@oclif/core';
import type { ParsedFile } from '@mesh/policy';

import { collectConfigFiles } from '../validate/collect-files.js';
import { readConfigFile, readStandardInput } from '../validate/read-config-files.js';
import { renderValidation, type ValidationReport } from '../validate/render-validation.js';

/**
 * `meshctl validate -f FILE|DIR ...`: validates Istio (and Kubernetes) YAML offline, as istiod takes
 * a config file in (the same loader: file rule, size limits, parsing, validation), printing every
 * error and warning with the resource, file:line, field path and reason. Each file is checked on its
 * own: a directory of alternatives (samples) may define one resource twice. Exit code 0 when no
 * errors were found (warnings allowed), 1 when any error was.
 */
export default class Validate extends Command {
  static override summary = 'Validate Istio configuration files offline.';
  static override description =
    'Reads YAML or JSON files (directories are searched recursively, "-" is standard input) and checks every Istio ' +
    "resource against the Istio API schema and the semantic rules of Istio's validation webhook. Exit codes: 0 valid, " +
    '1 errors found, 2 usage error.';
  static override examples = [
    '<%= config.bin %> validate -f samples/bookinfo/networking/',
    '<%= config.bin %> validate -f vs.yaml -f dr.yaml -o json',
  ];

  static override flags = {
    filename: Flags.string({
      char: 'f',
      multiple: true,
      required: true,
      description: 'file, directory or - for stdin',
    }),
    output: Flags.string({
      char: 'o',
      options: ['text', 'json'],
      default: 'text',
      description: 'output format',
    }),
  };

  async run(): Promise<ValidationReport> {
    const { flags } = await this.parse(Validate);
    let files: string[];
    const parsed: ParsedFile[] = [];
    try {
      files = collectConfigFiles(flags.filename);
      for (const file of files) parsed.push(file === '-' ? readStandardInput() : await readConfigFile(file));
    } catch (err) {
      this.error(
        `cannot read ${(err as NodeJS.ErrnoException).path ?? ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { exit: 2 },
      );
    }
    const findings = parsed.flatMap((file) => [...file.invalid, ...file.warnings]);
    findings.sort(
      (a, b) =>
        (a.source?.file ?? '').localeCompare(b.source?.file ?? '') ||
        (a.source?.line ?? 0) - (b.source?.line ?? 0),
    );
    const report: ValidationReport = {
      files,
      resources: parsed.reduce((sum, file) => sum + file.resources, 0),
      errors: findings.filter((f) => f.level === 'Error').length,
      warnings: findings.filter((f) => f.level === 'Warning').length,
      findings,
    };
    this.log(renderValidation(report, flags.output as 'text' | 'json'));
    if (report.errors > 0) this.exit(1);
    return report;
  }
}
