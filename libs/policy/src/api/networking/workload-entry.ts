import { type Static } from 'typebox';

import { mapOf, obj, opt, str, stringMap, uint32 } from '../schema-helpers.js';

/**
 * WorkloadEntry (networking.istio.io): a workload that is not a Kubernetes pod (a VM, a bare-metal host).
 * The same message is the `endpoints` item of a ServiceEntry and the `template` of a WorkloadGroup.
 */
const workloadEntryFields = {
  address: opt(str('Address associated with the network endpoint without the port.', { maxLength: 256 })),
  ports: opt(mapOf(uint32(), 'Set of ports associated with the endpoint.', { maxProperties: 128 })),
  labels: opt(stringMap('One or more labels associated with the endpoint.', { maxProperties: 256 })),
  network: opt(
    str('Network enables Istio to group endpoints resident in the same L3 domain/network.', {
      maxLength: 2048,
    }),
  ),
  locality: opt(str('The locality associated with the endpoint.', { maxLength: 2048 })),
  weight: opt(uint32('The load balancing weight associated with the endpoint.')),
  serviceAccount: opt(
    str('The service account associated with the workload if a sidecar is present in the workload.', {
      maxLength: 253,
    }),
  ),
};

/** The endpoint message itself, as used inside ServiceEntry and WorkloadGroup. */
export const WorkloadEntry = obj(workloadEntryFields);

export const WorkloadEntrySpec = obj(workloadEntryFields, {
  description:
    'Configuration affecting VMs onboarded into the mesh. See more details at: https://istio.io/docs/reference/config/networking/workload-entry.html',
});
export type WorkloadEntrySpec = Static<typeof WorkloadEntrySpec>;
