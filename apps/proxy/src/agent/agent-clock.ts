/**
 * The agent's notion of time: "now" for certificate validity and renewal deadlines, and one-shot
 * timers for renewals and retries. Injectable so tests can jump a day ahead without waiting, while
 * gRPC and TLS keep running on real time.
 */
export interface AgentClock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: AgentClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
