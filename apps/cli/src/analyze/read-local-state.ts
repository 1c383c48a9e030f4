import { stringify } from 'yaml';

import { readAnalysisFile, type AnalysisFile } from '@mesh/policy';

import { readRunState, type InstanceState } from '../local/run-state.js';
import { collectConfigFiles } from '../validate/collect-files.js';
import { readFileForAnalysis } from './read-analysis-files.js';

/**
 * `meshctl analyze --local-state DIR`: what the local mesh running on DIR is made of, as analysis
 * input — the files of its config directory (what istiod loads, with their lines), and its workload
 * instances as the Pods they stand for, so analyzers that select workloads (subsets, selectors,
 * services) see the real ones. A sidecar instance is a Pod with the proxy the injector adds.
 */

/** A problem finding the mesh: `analyze` exits 1 with it, as for an unreadable file. */
export class LocalStateError extends Error {}

function podOf(instance: InstanceState): object {
  const containers = [{ name: instance.workload, image: 'local' }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: instance.instance,
      namespace: instance.namespace,
      labels: {
        ...instance.labels,
        ...(instance.sidecar ? { 'security.istio.io/tlsMode': 'istio' } : {}),
      },
      ...(instance.sidecar
        ? { annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } }
        : {}),
    },
    spec: {
      serviceAccountName: instance.serviceAccount,
      containers: instance.sidecar ? [...containers, { name: 'istio-proxy', image: 'local' }] : containers,
    },
    status: { phase: 'Running', podIP: instance.address },
  };
}

let version = 0;

export async function readLocalStateForAnalysis(
  stateDir: string,
): Promise<{ files: string[]; read: AnalysisFile[] }> {
  const state = readRunState(stateDir);
  if (state === undefined)
    throw new LocalStateError(`no local mesh is running on ${stateDir} (npx meshctl local up -f FILE)`);
  const files = collectConfigFiles([state.configDir]);
  const read: AnalysisFile[] = [];
  for (const file of files) read.push(await readFileForAnalysis(file));
  const pods = state.instances.map((instance) => stringify(podOf(instance))).join('---\n');
  const workloads = `<local mesh ${state.mesh}: workloads>`;
  if (pods !== '') read.push(readAnalysisFile(pods, workloads, () => `local-${++version}`));
  return { files: [...files, workloads], read };
}
