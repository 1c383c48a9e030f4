import { type Static } from 'typebox';

import { NetworkingWorkloadSelector } from '../common.js';
import { PORT_RANGE_RULE, enumOf, listOf, obj, opt, str, stringList, uint32 } from '../schema-helpers.js';
import { WorkloadEntry } from './workload-entry.js';

/** ServiceEntry (networking.istio.io): adds a service (often external to the mesh) to the registry. */

export const SERVICE_ENTRY_RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS'] as const;

export const ServicePort = obj({
  number: uint32('A valid non-negative integer port number.', {
    'x-kubernetes-validations': [PORT_RANGE_RULE],
  }),
  protocol: opt(str('The protocol exposed on the port.', { maxLength: 256 })),
  name: str('Label assigned to the port.', { maxLength: 256 }),
  targetPort: opt(
    uint32('The port number on the endpoint where the traffic will be received.', {
      'x-kubernetes-validations': [PORT_RANGE_RULE],
    }),
  ),
});
export type ServicePort = Static<typeof ServicePort>;

export const ServiceEntrySpec = obj(
  {
    hosts: listOf(
      str(undefined, {
        'x-kubernetes-validations': [{ rule: 'self != "*"', message: 'hostname cannot be wildcard' }],
      }),
      'The hosts associated with the ServiceEntry.',
      { minItems: 1, maxItems: 256 },
    ),
    addresses: opt(
      listOf(str(undefined, { maxLength: 64 }), 'The virtual IP addresses associated with the service.', {
        maxItems: 256,
      }),
    ),
    ports: opt(
      listOf(ServicePort, 'The ports associated with the external service.', {
        maxItems: 256,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-validations': [
          {
            rule: 'self.all(l1, self.exists_one(l2, l1.number == l2.number))',
            message: 'port number cannot be duplicated',
          },
        ],
      }),
    ),
    location: opt(enumOf(['MESH_EXTERNAL', 'MESH_INTERNAL'])),
    resolution: opt(enumOf([...SERVICE_ENTRY_RESOLUTIONS])),
    endpoints: opt(
      listOf(WorkloadEntry, 'One or more endpoints associated with the service.', { maxItems: 4096 }),
    ),
    workloadSelector: opt(NetworkingWorkloadSelector),
    exportTo: opt(stringList('A list of namespaces to which this service is exported.')),
    subjectAltNames: opt(stringList()),
  },
  {
    description:
      'Configuration affecting service registry. See more details at: https://istio.io/docs/reference/config/networking/service-entry.html',
    validations: [
      {
        rule: '(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1',
        message: 'only one of WorkloadSelector or Endpoints can be set',
      },
      {
        rule: '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))',
        message: 'CIDR addresses are allowed only for NONE/STATIC resolution types',
      },
      {
        rule: '((has(self.resolution) ? self.resolution : "NONE") == "NONE") ? !has(self.endpoints) : true',
        message: 'NONE mode cannot set endpoints',
      },
      {
        rule: '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true',
        message: 'DNS_ROUND_ROBIN mode cannot have multiple endpoints',
      },
    ],
  },
);
export type ServiceEntrySpec = Static<typeof ServiceEntrySpec>;
