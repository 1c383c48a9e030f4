/**
 * Capped exponential backoff with jitter for talking to the CA: the first retry comes quickly, a CA
 * that stays down is asked at most once per `maxMs`, and jitter keeps a fleet of sidecars that lost
 * istiod together from coming back in lockstep.
 */
export interface BackoffOptions {
  /** Delay before the first retry; default 1 s. */
  initialMs?: number;
  /** Largest delay, jitter included; default 30 s. */
  maxMs?: number;
  /** Growth per failed attempt; default 2. */
  multiplier?: number;
  /** Largest relative change either way, in [0, 1]; default 0.2. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 1_000,
  maxMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
};

export class RetryBackoff {
  readonly options: Required<BackoffOptions>;
  #failures = 0;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    const { initialMs, maxMs, multiplier, jitter } = this.options;
    if (!(initialMs > 0 && maxMs >= initialMs && multiplier >= 1 && jitter >= 0 && jitter <= 1)) {
      throw new RangeError(
        `invalid backoff: need 0 < initialMs (${initialMs}) <= maxMs (${maxMs}), multiplier (${multiplier}) >= 1 and jitter (${jitter}) in [0, 1]`,
      );
    }
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { initialMs, maxMs, multiplier, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * multiplier ** this.#failures);
    this.#failures++;
    const jittered = base * (1 + jitter * (2 * this.random() - 1));
    return Math.round(Math.min(maxMs, Math.max(0, jittered)));
  }

  /** After a success: the next failure starts again from `initialMs`. */
  reset(): void {
    this.#failures = 0;
  }

  get failures(): number {
    return this.#failures;
  }
}
