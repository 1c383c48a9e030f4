import { PkiError } from './errors.js';
/**
 * When to renew a workload certificate, as Istio's agent decides (`security/pkg/nodeagent/cache`):
 * the grace period is `SECRET_GRACE_PERIOD_RATIO` (0.5) of the lifetime, perturbed by up to
 * ± `SECRET_GRACE_PERIOD_RATIO_JITTER` (0.01) so a fleet started together does not renew together;
 * renewal is due when only the grace period is left.
 */
export const DEFAULT_GRACE_PERIOD_RATIO = 0.5;
export const DEFAULT_GRACE_PERIOD_RATIO_JITTER = 0.01;
/**
 * The moment to renew: `notAfter - (ratio ± jitter) × lifetime`, the effective ratio clamped to
 * [0, 1]. With the defaults that is between 49% and 51% of the way through the lifetime.
 */
export function renewalTime(options) {
    const ratio = options.ratio ?? DEFAULT_GRACE_PERIOD_RATIO;
    const jitter = options.jitter ?? DEFAULT_GRACE_PERIOD_RATIO_JITTER;
    const notBefore = options.notBefore.getTime();
    const notAfter = options.notAfter.getTime();
    if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter) || notAfter < notBefore) {
        throw new PkiError('PKI_INVALID_ARGUMENT', 'renewalTime needs valid dates with notBefore <= notAfter');
    }
    if (!(ratio >= 0 && ratio <= 1) || !(jitter >= 0 && jitter <= 1)) {
        throw new PkiError('PKI_INVALID_ARGUMENT', `ratio ${ratio} and jitter ${jitter} must lie within [0, 1]`);
    }
    const random = (options.random ?? Math.random)();
    const effective = Math.min(1, Math.max(0, ratio + jitter * (2 * random - 1)));
    return new Date(notAfter - effective * (notAfter - notBefore));
}
/**
 * Milliseconds from `now` until renewal is due (0 when already due), for a `setTimeout` in the
 * agent; Node caps timers at 2^31-1 ms (~24.8 days), so longer delays are capped to that and the
 * caller simply re-checks when it fires.
 */
export function renewalDelayMs(options) {
    const due = renewalTime(options).getTime() - (options.now ?? new Date()).getTime();
    return Math.min(Math.max(0, Math.round(due)), 2 ** 31 - 1);
}
//# sourceMappingURL=rotation.js.map