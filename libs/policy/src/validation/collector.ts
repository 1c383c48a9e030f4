import type { Finding, FindingCode, FindingLevel, SourceLocation } from './finding.js';

/** The resource findings are about. */
export interface FindingTarget {
  kind: string;
  namespace: string;
  name: string;
}

/** Finds the source location of a field path, when the resource came from a file. */
export type Locator = (path: string) => SourceLocation | undefined;

/**
 * Collects findings about one resource. Validation rules call `error` / `warning` with a code, a field
 * path and a reason; the collector adds the resource's identity and the source location.
 */
export class FindingCollector {
  readonly errors: Finding[] = [];
  readonly warnings: Finding[] = [];

  constructor(
    readonly target: FindingTarget,
    private readonly locate: Locator = () => undefined,
  ) {}

  error(code: FindingCode, path: string, message: string): void {
    this.add(this.errors, this.finding('Error', code, path, message));
  }

  warning(code: FindingCode, path: string, message: string): void {
    this.add(this.warnings, this.finding('Warning', code, path, message));
  }

  /** Reports a check result: a message string is an error, undefined means the value passed. */
  check(code: FindingCode, path: string, message: string | undefined): void {
    if (message !== undefined) this.error(code, path, message);
  }

  /** Two rules can reach the same conclusion about a field (e.g. a host checked as FQDN and as destination). */
  private add(list: Finding[], finding: Finding): void {
    const same = (f: Finding) =>
      f.code === finding.code && f.path === finding.path && f.message === finding.message;
    if (!list.some(same)) list.push(finding);
  }

  private finding(level: FindingLevel, code: FindingCode, path: string, message: string): Finding {
    const source = this.locate(path);
    return { code, level, ...this.target, path, message, ...(source === undefined ? {} : { source }) };
  }
}
