import { probe } from '../local/admin-probe.js';
import type { DiagnoseInstance } from './diagnose-mesh.js';

/**
 * GETs a path of a local sidecar's admin (127.0.0.1 only: the instance's own port in explicit mode,
 * 15000 inside its network namespace in transparent mode), as `local status` asks it. Undefined when
 * it does not answer 200: the diagnosis then says the live part is missing rather than failing.
 */
export async function adminGet(instance: DiagnoseInstance, path: string): Promise<string | undefined> {
  if (instance.admin === undefined) return undefined;
  const [answer] = await probe([`http://127.0.0.1:${instance.admin.port}${path}`], instance.admin.netns);
  return answer?.status === 200 ? answer.body : undefined;
}
