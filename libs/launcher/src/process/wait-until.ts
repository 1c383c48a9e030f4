/**
 * Polls `check` every `intervalMs` until it holds (a check that throws counts as not yet); throws
 * `describe()` after `timeoutMs`. For what reports no readiness: an app accepting connections, a
 * request through a mesh just started.
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
