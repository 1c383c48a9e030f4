import { apiStatusOf } from '@mesh/kube';
import type { Logger } from 'pino';

/**
 * The Kubernetes permissions istiod found missing, by name (`create configmaps in namespace apps`),
 * so an operator sees exactly which RBAC rule to add: each is logged once when found and once when
 * it goes away, and listed by `/ready`. A missing permission degrades one controller; it never
 * stops istiod (a crash loop would take xDS and the CA down with it).
 */
export class PermissionProblems {
  private readonly missing = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /**
   * Reports the outcome of one API call: `error` undefined means it succeeded. Returns true when the
   * error was a refusal (403) and has been recorded, false when the caller should handle it.
   */
  record(action: string, error?: unknown): boolean {
    if (error === undefined) {
      if (this.missing.delete(action))
        this.logger.info({ permission: action }, 'Kubernetes permission now granted');
      return false;
    }
    const status = apiStatusOf(error);
    if (status?.code !== 403) return false;
    if (!this.missing.has(action))
      this.logger.error(
        { permission: action, reason: status.message },
        `missing Kubernetes permission: ${action} (grant it to istiod's service account)`,
      );
    this.missing.set(action, status.message ?? 'forbidden');
    return true;
  }

  /** One line per missing permission, for `/ready`. */
  list(): string[] {
    return [...this.missing.keys()].sort().map((action) => `missing permission: ${action}`);
  }
}
