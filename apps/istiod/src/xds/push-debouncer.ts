/**
 * Coalesces bursts of config changes into one push (Istio's PILOT_DEBOUNCE_AFTER, default 100 ms, with
 * a cap so a steady stream of changes still pushes: PILOT_DEBOUNCE_MAX, 10 s).
 */
export class PushDebouncer {
  private timer?: NodeJS.Timeout;
  private firstChangeAt?: number;

  constructor(
    private readonly push: () => void,
    private readonly quietMs = 100,
    private readonly maxDelayMs = 10_000,
  ) {}

  changed(): void {
    const now = Date.now();
    this.firstChangeAt ??= now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstChangeAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => {
      this.firstChangeAt = undefined;
      this.push();
    }, wait);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
