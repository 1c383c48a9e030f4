import { setTimeout as delay } from 'node:timers/promises';

import { apiStatusOf, type KubeStatus } from '../src/index.js';

/**
 * Shared test helpers: reading the `Status` of a failed client-node call, and waiting for
 * something asynchronous (an informer event) to become true without fixed sleeps.
 */

/** The error a call failed with; fails the test if the call succeeded. */
export async function failureOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the API call to fail, but it succeeded');
}

/** The Status the API server answered a failing call with. */
export async function statusOf(call: Promise<unknown>): Promise<KubeStatus> {
  const error = await failureOf(call);
  const status = apiStatusOf(error);
  if (!status) throw error;
  return status;
}

/** Polls `check` until it stops throwing (or returns true); rethrows its last failure on timeout. */
export async function eventually(check: () => unknown, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return;
      if (Date.now() > deadline) throw new Error('condition still false');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await delay(20);
  }
}

/** A unique DNS-label name for test objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
