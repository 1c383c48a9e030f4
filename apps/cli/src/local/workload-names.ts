import type { InstanceState, RunState } from './run-state.js';

/**
 * The workload names `meshctl local exec` and `local logs` take: a workload (all its instances) or
 * one instance (`reviews-v2-0`). A name that is neither gets the names that are, rather than only "no
 * workload".
 */

/** The instances `name` designates. */
export function instancesNamed(state: RunState, name: string): InstanceState[] {
  return state.instances.filter((i) => i.workload === name || i.instance === name);
}

/** What to say when `name` designates no instance: the workloads of the mesh, then its instances. */
export function unknownWorkload(state: RunState, name: string): string {
  const workloads = [...new Set(state.instances.map((i) => i.workload))];
  const instances = state.instances.map((i) => i.instance);
  return (
    `no workload or instance "${name}" in mesh ${state.mesh}; workloads: ${workloads.join(', ') || 'none'}` +
    (instances.length > 0 ? `; instances: ${instances.join(', ')}` : '')
  );
}
