export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  initialMs?: number;
  /** Cap. Default 30 s. */
  maxMs?: number;
  multiplier?: number;
  /** Fraction of random spread around each delay, so restarted servers are not stampeded. Default 0.2. */
  jitter?: number;
  random?: () => number;
}

/** Capped exponential backoff with jitter. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 200;
    this.maxMs = options.maxMs ?? 30_000;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call grows it until the cap. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.multiplier ** this.attempt);
    this.attempt++;
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.min(this.maxMs, Math.round(base + spread)));
  }

  reset(): void {
    this.attempt = 0;
  }
}
