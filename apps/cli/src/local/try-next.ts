import type { LocalStatus } from './local-status.js';
import type { LocalMesh } from './mesh-file.js';
import { stateDirFlagDefault } from './state-dir.js';

/**
 * What `meshctl local up` prints once the mesh is ready: the mesh file's `tryNext` lines, then where
 * the metrics are, as commands that work where `npm start` ran (`npx meshctl`: meshctl is not on PATH).
 * A line may name a workload's address as `{{address <workload>}}`: the address its first instance
 * got in this run, which is 127.0.10.x only while no other mesh holds that block. `meshctl local`
 * lines get the `--state-dir` the mesh runs on when it is not the default.
 */
export function renderTryNext(mesh: LocalMesh, status: LocalStatus, stateDirFlag: string): string {
  const stateArg = stateDirFlag === stateDirFlagDefault() ? '' : ` --state-dir ${stateDirFlag}`;
  const proxies = status.workloads.filter((w) => w.proxy !== 'none');
  const lines = [
    'Try next:',
    ...mesh.tryNext.map(
      (line) => `  ${fillAddresses(line, status).replace(/^((?:npx )?meshctl local \S+)/, `$1${stateArg}`)}`,
    ),
    `  npx meshctl local status${stateArg}`,
    `  istiod metrics:  ${status.istiod.metrics}`,
    ...(proxies[0]
      ? [`  proxy metrics:   http://${proxies[0].address}:15090/stats/prometheus (${proxies[0].instance})`]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** `{{address productpage}}` → the address of productpage's first instance (left as is if none). */
function fillAddresses(line: string, status: LocalStatus): string {
  return line.replace(
    /\{\{\s*address\s+([a-z0-9-]+)\s*\}\}/g,
    (placeholder, workload: string) =>
      status.workloads.find((w) => w.workload === workload)?.address ?? placeholder,
  );
}
