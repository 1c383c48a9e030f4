import { Flags } from '@oclif/core';

import { resolveStateDir, stateDirFlagDefault } from '../local/state-dir.js';
import { clusterFlags } from './cluster-objects.js';
import { meshFromCluster } from './cluster-mesh.js';
import { DiagnoseError, meshFromFiles, meshFromLocal, type DiagnoseMesh } from './diagnose-mesh.js';

/**
 * Where `tls-check`, `authz check` and `describe pod` read the mesh they explain, one flag set for all:
 * YAML files (`-f`, offline), a cluster (`--kubeconfig`/`--context`), else the local mesh running on
 * `--state-dir`.
 */
export const meshSourceFlags = {
  filename: Flags.string({ char: 'f', multiple: true, description: 'YAML file or directory (offline)' }),
  ...clusterFlags,
  'state-dir': Flags.string({
    default: stateDirFlagDefault(),
    description: 'state directory of the local mesh (env MESH_STATE_DIR)',
  }),
};

export interface MeshSourceOptions {
  filename?: string[];
  kubeconfig?: string;
  context?: string;
  'state-dir': string;
}

/** The sentence of each command's help that says where it reads the mesh. */
export const MESH_SOURCE_HELP =
  'Reads YAML files (-f, offline), the cluster of --kubeconfig/--context (its Services, EndpointSlices, Pods, ' +
  "Istio resources and the istio ConfigMap's MeshConfig), or else the local mesh running on --state-dir.";

export async function loadDiagnoseMesh(flags: MeshSourceOptions): Promise<DiagnoseMesh> {
  const cluster = flags.kubeconfig !== undefined || flags.context !== undefined;
  if (flags.filename?.length) {
    if (cluster) throw new DiagnoseError('give either -f files or --kubeconfig/--context, not both');
    return meshFromFiles(flags.filename);
  }
  if (cluster) return meshFromCluster({ kubeconfig: flags.kubeconfig, context: flags.context });
  return meshFromLocal(resolveStateDir(flags['state-dir']));
}
