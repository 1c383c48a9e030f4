import { resolveStateDir } from '../local/state-dir.js';
import { meshFromCluster } from './cluster-mesh.js';
import { DiagnoseError, runningMesh, type DiagnoseInstance } from './diagnose-mesh.js';
import { NO_ISTIOD_ADDRESS, type IstiodDebugTarget } from './istiod-debug.js';

/**
 * The sidecars `proxy-status` and `proxy-config` ask about, and the istiod that serves them: on a
 * cluster (`--kubeconfig`/`--context`), its Pods and the istiod `--istiod` names (it runs in the
 * cluster, or beside it as an external control plane: we cannot guess its address); else the local
 * mesh on `--state-dir` and its istiod's monitoring port, unless `--istiod` names another.
 */

export interface ProxySourceOptions {
  kubeconfig?: string;
  context?: string;
  'state-dir': string;
  istiod?: string;
  'istiod-token-file'?: string;
}

export interface ProxySource {
  source: 'local' | 'cluster';
  instances: DiagnoseInstance[];
  istiod: IstiodDebugTarget;
}

export async function proxySource(flags: ProxySourceOptions): Promise<ProxySource> {
  const token = flags['istiod-token-file'] === undefined ? {} : { tokenFile: flags['istiod-token-file'] };
  if (flags.kubeconfig !== undefined || flags.context !== undefined) {
    if (flags.istiod === undefined) throw new DiagnoseError(NO_ISTIOD_ADDRESS);
    const { instances } = await meshFromCluster({ kubeconfig: flags.kubeconfig, context: flags.context });
    return { source: 'cluster', instances, istiod: { address: flags.istiod, ...token } };
  }
  const { state, instances } = runningMesh(resolveStateDir(flags['state-dir']));
  const address = flags.istiod ?? `http://127.0.0.1:${state.istiod.monitoringPort}`;
  return { source: 'local', instances, istiod: { address, ...token } };
}
