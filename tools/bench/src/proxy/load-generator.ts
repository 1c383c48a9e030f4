import { performance } from 'node:perf_hooks';

import { BenchTimeoutError } from '../common/bench-report.js';

/**
 * The load generator: an open loop at a fixed rate for latency, a closed loop for throughput. Both
 * drive a `Send` (one request; `connection` says which of the target's connections to use when the
 * target has a connection per channel) and are bounded in time and in the number of requests.
 */

/** Sends one request on connection `connection`; calls `done` once, with whether it succeeded. */
export type Send = (connection: number, done: (ok: boolean) => void) => void;

export interface OpenLoopOptions {
  rate: number;
  durationMs: number;
  connections: number;
  /** How long to wait for the last responses after the last request was scheduled. */
  drainMs: number;
}

export interface LatencyResult {
  /** Latencies of the successful requests, ms from the request's scheduled time, ascending. */
  latenciesMs: Float64Array;
  errors: number;
  /** Requests still unanswered when the drain time ran out (counted in `errors`). */
  unanswered: number;
  /** Responses per second over the measured window (first scheduled time → last response). */
  achievedRps: number;
  /** How late the generator's own timer issued requests (p99, ms): its share of every latency. */
  sendLagP99Ms: number;
}

/**
 * Open loop (as wrk2 and `autocannon --overallRate`): request k is due at start + k/rate whatever
 * happened before, and its latency runs from that due time, so a stall delays and is charged to every
 * request scheduled during it instead of silently lowering the rate (coordinated omission).
 * Requests go round-robin over the connections.
 */
export function openLoop(send: Send, o: OpenLoopOptions): Promise<LatencyResult> {
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const intervalMs = 1000 / o.rate;
  const latencies = new Float64Array(total).fill(NaN);
  const lags = new Float64Array(total);
  const start = performance.now() + 5;
  let next = 0;
  let answered = 0;
  let errors = 0;
  let lastResponse = start;
  let timer: NodeJS.Timeout | undefined;
  return new Promise((resolve) => {
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(drainTimer);
      const ok = latencies.filter((v) => !Number.isNaN(v)).sort();
      resolve({
        latenciesMs: ok,
        errors: errors + (total - answered),
        unanswered: total - answered,
        achievedRps: (answered - errors) / ((lastResponse - start) / 1000),
        sendLagP99Ms: percentile(lags.slice(0, next).sort(), 99) ?? NaN,
      });
    };
    const issue = (k: number, now: number) => {
      const due = start + k * intervalMs;
      lags[k] = now - due;
      let settled = false;
      send(k % o.connections, (ok) => {
        if (settled) return;
        settled = true;
        const at = performance.now();
        if (ok) latencies[k] = at - due;
        else errors++;
        lastResponse = Math.max(lastResponse, at);
        if (++answered === total) finish();
      });
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) issue(next++, now);
      if (next < total) timer = setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
      else if (answered < total) drainTimer = setTimeout(finish, o.drainMs);
    };
    timer = setTimeout(tick, 5);
  });
}

export interface ThroughputResult {
  rps: number;
  completed: number;
  errors: number;
}

/**
 * Closed loop: `connections` loops, each sending its next request when the previous one is answered,
 * for `durationMs`. Responses after the window are not counted; the loops then stop, and the whole
 * run is bounded by `durationMs + drainMs`.
 */
export async function closedLoop(
  send: Send,
  connections: number,
  durationMs: number,
  drainMs: number,
): Promise<ThroughputResult> {
  let completed = 0;
  let errors = 0;
  let stopped = false;
  const start = performance.now();
  const loops = Array.from(
    { length: connections },
    (_, connection) =>
      new Promise<void>((resolve) => {
        const again = () => {
          if (stopped) return resolve();
          send(connection, (ok) => {
            if (!stopped) {
              if (ok) completed++;
              else errors++;
            }
            // A failing target can answer synchronously: do not grow the stack, and do not spin.
            if (ok) again();
            else setTimeout(again, 1);
          });
        };
        again();
      }),
  );
  const window = new Promise<number>((resolve) =>
    setTimeout(() => {
      stopped = true;
      resolve(performance.now() - start);
    }, durationMs),
  );
  const elapsedMs = await window;
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(loops),
    new Promise<void>((_, reject) => {
      drainTimer = setTimeout(
        () =>
          reject(new BenchTimeoutError(`closed loop: requests still open ${drainMs} ms after the window`)),
        drainMs,
      );
    }),
  ]).finally(() => clearTimeout(drainTimer));
  return { rps: completed / (elapsedMs / 1000), completed, errors };
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
