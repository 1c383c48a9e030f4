/**
 * When to renew a workload certificate, as Istio's agent decides (`security/pkg/nodeagent/cache`):
 * the grace period is `SECRET_GRACE_PERIOD_RATIO` (0.5) of the lifetime, perturbed by up to
 * ± `SECRET_GRACE_PERIOD_RATIO_JITTER` (0.01) so a fleet started together does not renew together;
 * renewal is due when only the grace period is left.
 */
export declare const DEFAULT_GRACE_PERIOD_RATIO = 0.5;
export declare const DEFAULT_GRACE_PERIOD_RATIO_JITTER = 0.01;
export interface RenewalTimeOptions {
    notBefore: Date;
    notAfter: Date;
    /** Fraction of the lifetime still left when renewing; default 0.5. */
    ratio?: number;
    /** Largest random change to `ratio`, either way; default 0.01. */
    jitter?: number;
    /** Uniform in [0, 1); injectable for tests. */
    random?: () => number;
}
/**
 * The moment to renew: `notAfter - (ratio ± jitter) × lifetime`, the effective ratio clamped to
 * [0, 1]. With the defaults that is between 49% and 51% of the way through the lifetime.
 */
export declare function renewalTime(options: RenewalTimeOptions): Date;
/**
 * Milliseconds from `now` until renewal is due (0 when already due), for a `setTimeout` in the
 * agent; Node caps timers at 2^31-1 ms (~24.8 days), so longer delays are capped to that and the
 * caller simply re-checks when it fires.
 */
export declare function renewalDelayMs(options: RenewalTimeOptions & {
    now?: Date;
}): number;
//# sourceMappingURL=rotation.d.ts.map