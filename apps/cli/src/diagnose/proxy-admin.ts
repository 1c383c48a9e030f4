import { execFile } from 'node:child_process';

import type { DiagnoseInstance } from './diagnose-mesh.js';

/**
 * GETs a path of a local sidecar's admin (127.0.0.1 only: the instance's own port in explicit mode,
 * 15000 inside its network namespace in transparent mode). Undefined when it does not answer 200
 * within `timeoutMs`: the diagnosis then says the live part is missing rather than failing.
 */
export async function adminGet(
  instance: DiagnoseInstance,
  path: string,
  timeoutMs = 4000,
): Promise<string | undefined> {
  if (instance.admin === undefined) return undefined;
  const url = `http://127.0.0.1:${instance.admin.port}${path}`;
  if (instance.admin.netns === undefined) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      return response.status === 200 ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  }
  // In the pod's network namespace, one short-lived process asks and prints the body.
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(${timeoutMs}) }).then(async (r) => { if (r.status !== 200) process.exit(1); process.stdout.write(await r.text(), () => process.exit(0)); }, () => process.exit(1))`;
  return new Promise((resolve) =>
    execFile(
      'ip',
      ['netns', 'exec', instance.admin?.netns ?? '', process.execPath, '-e', script],
      { timeout: 3 * timeoutMs, maxBuffer: 4 << 20 },
      (err, stdout) => resolve(err ? undefined : stdout),
    ),
  );
}
