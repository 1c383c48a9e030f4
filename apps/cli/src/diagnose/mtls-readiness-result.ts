import { effectivePeerAuthentication, mtlsModeForPort, type PeerAuthentication } from '@mesh/policy';

import type { DiagnoseMesh } from './diagnose-mesh.js';
import {
  mtlsReadinessResult,
  workloadReadiness,
  type InboundCaller,
  type MtlsReadinessResult,
  type WorkloadReadiness,
} from './mtls-readiness.js';
import { adminGet } from './proxy-admin.js';

/**
 * `meshctl mtls readiness`'s result on a running local mesh: each sidecar instance's effective inbound
 * mode from the PeerAuthentication evaluator istiod builds its inbound chains with (as tls-check's
 * server side), and the callers its proxy recorded (`/inbound_connections`). With a proposal, the
 * refused callers are those its PeerAuthentications, applied over the running ones (replacing any of the
 * same name and namespace), would make STRICT; without one, every plaintext caller to a PERMISSIVE port.
 */
export async function mtlsReadiness(
  mesh: DiagnoseMesh,
  options: { namespace?: string; since: Date; proposal?: PeerAuthentication[] },
): Promise<MtlsReadinessResult> {
  const key = (p: PeerAuthentication) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
  const proposed = options.proposal && new Set(options.proposal.map(key));
  const proposal = options.proposal && [
    ...mesh.snapshot.peerAuthentications.filter((p) => !proposed?.has(key(p))),
    ...options.proposal,
  ];
  const scope = { rootNamespace: mesh.settings.rootNamespace };
  const instanceAt = (address: string) => mesh.instances.find((i) => i.address === address)?.instance;
  const workloads: WorkloadReadiness[] = [];
  for (const instance of mesh.instances) {
    if (!instance.sidecar) continue;
    if (options.namespace !== undefined && instance.namespace !== options.namespace) continue;
    const effective = effectivePeerAuthentication(mesh.snapshot.peerAuthentications, instance, scope);
    const permissivePorts = [
      ...(effective.mode === 'PERMISSIVE' ? ['*'] : []),
      ...[...effective.portModes].filter(([, mode]) => mode === 'PERMISSIVE').map(([port]) => String(port)),
    ];
    if (permissivePorts.length === 0) continue;
    const workload = {
      instance: instance.instance,
      namespace: instance.namespace,
      permissivePorts,
      ...(effective.modeSetBy
        ? { policy: `${effective.modeSetBy.name}.${effective.modeSetBy.namespace}` }
        : {}),
    };
    const body = await adminGet(instance, '/inbound_connections');
    if (body === undefined) {
      workloads.push({
        ...workload,
        plaintext: [],
        mtls: [],
        unavailable: `the sidecar admin of ${instance.instance} did not answer`,
      });
      continue;
    }
    const { callers } = JSON.parse(body) as { callers: InboundCaller[] };
    const after = proposal && effectivePeerAuthentication(proposal, instance, scope);
    workloads.push(
      workloadReadiness(
        workload,
        callers,
        (port) =>
          mtlsModeForPort(effective, port) === 'PERMISSIVE' &&
          (after === undefined || mtlsModeForPort(after, port) === 'STRICT'),
        instanceAt,
        options.since,
      ),
    );
  }
  return mtlsReadinessResult(options.since, workloads, options.proposal !== undefined);
}
