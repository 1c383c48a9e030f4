/** One problem found in a resource, located by a field path such as `virtual_hosts[reviews].routes[0].match`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Renders issues as one line each: `path: message`. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * Collects every validation issue of a resource instead of stopping at the first, each with its
 * field path. `field`, `index` and `named` return collectors for nested positions sharing one list.
 */
export class IssueCollector {
  constructor(
    readonly issues: ValidationIssue[] = [],
    private readonly path = '',
  ) {}

  /** A collector for a nested field: `parent.field`. */
  field(name: string): IssueCollector {
    return new IssueCollector(this.issues, this.path ? `${this.path}.${name}` : name);
  }

  /** A collector for an element of a list addressed by position: `parent[3]`. */
  index(i: number): IssueCollector {
    return new IssueCollector(this.issues, `${this.path}[${i}]`);
  }

  /** A collector for an element of a list addressed by its name when it has one: `parent[reviews]`. */
  named(name: string | undefined, i: number): IssueCollector {
    return new IssueCollector(this.issues, `${this.path}[${name ? name : i}]`);
  }

  add(message: string): void {
    this.issues.push({ path: this.path, message });
  }

  /** Adds `message` when `condition` is false; returns the condition. */
  check(condition: boolean, message: string): boolean {
    if (!condition) this.add(message);
    return condition;
  }

  requireString(value: string | undefined, what = 'must be a non-empty string'): boolean {
    return this.check(typeof value === 'string' && value.length > 0, what);
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }
}

/** Reports names that occur more than once in a list. */
export function checkUniqueNames(
  at: IssueCollector,
  items: readonly { name?: string }[] | undefined,
  what: string,
): void {
  const seen = new Set<string>();
  for (const item of items ?? []) {
    if (!item.name) continue;
    if (seen.has(item.name)) at.add(`duplicate ${what} name "${item.name}"`);
    seen.add(item.name);
  }
}
