import { type Static } from 'typebox';

import { PORT_RANGE_RULE, mapOf, obj, opt, str, stringMap, uint32 } from '../schema-helpers.js';

/**
 * WorkloadEntry (networking.istio.io): a workload that is not a Kubernetes pod (a VM, a bare-metal host).
 * The same message is the `endpoints` item of a ServiceEntry and the `template` of a WorkloadGroup.
 */
const workloadEntryFields = {
  address: opt(
    str('Address associated with the network endpoint without the port.', {
      maxLength: 256,
      'x-kubernetes-validations': [
        {
          rule: 'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true',
          message: 'UDS must be an absolute path or abstract socket',
        },
        { rule: 'self.startsWith("unix://") ? !self.endsWith("/") : true', message: 'UDS may not be a dir' },
      ],
    }),
  ),
  ports: opt(
    mapOf(
      uint32(undefined, { 'x-kubernetes-validations': [PORT_RANGE_RULE] }),
      'Set of ports associated with the endpoint.',
      {
        maxProperties: 128,
        'x-kubernetes-validations': [
          {
            rule: 'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))',
            message: 'port name must be valid',
          },
        ],
      },
    ),
  ),
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

/** Istio's CEL rules on a workload entry, verbatim from its CRDs. */
const ADDRESS_REQUIRED = { rule: 'has(self.address) || has(self.network)', message: 'Address is required' };
const UDS_WITHOUT_PORTS = {
  rule: '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true',
  message: 'UDS may not include ports',
};

/** The endpoint of a ServiceEntry: an address (or a network) is required. */
export const WorkloadEntry = obj(workloadEntryFields, { validations: [ADDRESS_REQUIRED, UDS_WITHOUT_PORTS] });

/** A WorkloadGroup's template: the address comes from the VM that registers, so none is required. */
export const WorkloadEntryTemplate = obj(workloadEntryFields, { validations: [UDS_WITHOUT_PORTS] });

export const WorkloadEntrySpec = obj(workloadEntryFields, {
  description:
    'Configuration affecting VMs onboarded into the mesh. See more details at: https://istio.io/docs/reference/config/networking/workload-entry.html',
  validations: [ADDRESS_REQUIRED, UDS_WITHOUT_PORTS],
});
export type WorkloadEntrySpec = Static<typeof WorkloadEntrySpec>;
