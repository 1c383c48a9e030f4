import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const https = { number: 443, name: 'https', protocol: 'TLS' };

const serviceEntries: ValidationCase[] = [
  {
    name: 'an external HTTPS API with DNS resolution is valid',
    kind: 'ServiceEntry',
    spec: { hosts: ['api.example.com'], ports: [https], location: 'MESH_EXTERNAL', resolution: 'DNS' },
    expect: [],
  },
  {
    name: 'a database with a VIP and static endpoints is valid',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['mydb.internal'],
      addresses: ['10.10.0.5'],
      ports: [{ number: 5432, name: 'tcp-postgres', protocol: 'TCP' }],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      endpoints: [{ address: '10.10.0.10', ports: { 'tcp-postgres': 5432 } }],
    },
    expect: [],
  },
  {
    name: 'hosts are required (schema)',
    kind: 'ServiceEntry',
    spec: { ports: [https] },
    expect: ['E SCHEMA_REQUIRED spec.hosts'],
  },
  {
    name: 'spec is required for a ServiceEntry',
    kind: 'ServiceEntry',
    spec: undefined,
    expect: ['E SCHEMA_REQUIRED spec'],
  },
  {
    name: 'host * is invalid',
    kind: 'ServiceEntry',
    spec: { hosts: ['*'], ports: [https], resolution: 'NONE' },
    expect: ['E HOST_INVALID spec.hosts[0]'],
  },
  {
    name: 'a partial wildcard host is a warning',
    kind: 'ServiceEntry',
    spec: { hosts: ['*api.example.com'], ports: [https], resolution: 'NONE' },
    expect: ['W HOST_INVALID spec.hosts[0]'],
  },
  {
    name: 'NONE resolution takes no endpoints',
    kind: 'ServiceEntry',
    spec: { hosts: ['api.example.com'], ports: [https], endpoints: [{ address: '1.2.3.4' }] },
    expect: ['E SERVICE_ENTRY_INVALID spec.endpoints'],
  },
  {
    name: 'STATIC endpoints must be IP addresses',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['api.example.com'],
      ports: [https],
      resolution: 'STATIC',
      endpoints: [{ address: 'api-1.example.com' }],
    },
    expect: ['E ADDRESS_INVALID spec.endpoints[0].address'],
  },
  {
    name: 'endpoint ports must name a service port',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['api.example.com'],
      ports: [https],
      resolution: 'STATIC',
      endpoints: [{ address: '1.2.3.4', ports: { grpc: 9000 } }],
    },
    expect: ['E WORKLOAD_INVALID spec.endpoints[0].ports.grpc'],
  },
  {
    name: 'DNS resolution without endpoints needs FQDN hosts',
    kind: 'ServiceEntry',
    spec: { hosts: ['*.example.com'], ports: [https], resolution: 'DNS' },
    expect: ['E HOST_INVALID spec.hosts[0]'],
  },
  {
    name: 'DNS_ROUND_ROBIN allows at most one endpoint',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['api.example.com'],
      ports: [https],
      resolution: 'DNS_ROUND_ROBIN',
      endpoints: [{ address: 'a.example.com' }, { address: 'b.example.com' }],
    },
    expect: ['E SERVICE_ENTRY_INVALID spec.endpoints'],
  },
  {
    name: 'CIDR addresses need NONE or STATIC resolution',
    kind: 'ServiceEntry',
    spec: { hosts: ['api.example.com'], addresses: ['10.0.0.0/16'], ports: [https], resolution: 'DNS' },
    expect: ['E SERVICE_ENTRY_INVALID spec.addresses'],
  },
  {
    name: 'an invalid address is rejected',
    kind: 'ServiceEntry',
    spec: { hosts: ['api.example.com'], addresses: ['10.0.0.300'], ports: [https] },
    expect: ['E ADDRESS_INVALID spec.addresses[0]'],
  },
  {
    name: 'a TCP port without addresses is a warning',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['db.example.com'],
      ports: [{ number: 3306, name: 'tcp', protocol: 'TCP' }],
      resolution: 'DNS',
    },
    expect: ['W SERVICE_ENTRY_INVALID spec.ports[0]'],
  },
  {
    name: 'automatic address allocation removes the TCP warning',
    kind: 'ServiceEntry',
    object: {
      metadata: {
        name: 'test',
        namespace: 'default',
        labels: { 'networking.istio.io/enable-autoallocate-ip': 'true' },
      },
    },
    spec: {
      hosts: ['db.example.com'],
      ports: [{ number: 3306, name: 'tcp', protocol: 'TCP' }],
      resolution: 'DNS',
    },
    expect: [],
  },
  {
    name: 'duplicate port numbers are invalid (schema allows, semantics do not)',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['api.example.com'],
      ports: [https, { number: 443, name: 'https2', protocol: 'TLS' }],
      resolution: 'DNS',
    },
    expect: ['E PORT_INVALID spec.ports[1].number'],
  },
  {
    name: 'an unknown port protocol is invalid',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['api.example.com'],
      ports: [{ number: 443, name: 'https', protocol: 'QUIC' }],
      resolution: 'DNS',
    },
    expect: ['E PORT_INVALID spec.ports[0].protocol'],
  },
  {
    name: 'several hosts cannot share an opaque TCP port',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['a.example.com', 'b.example.com'],
      addresses: ['240.0.0.1'],
      ports: [{ number: 9000, name: 'tcp', protocol: 'TCP' }],
      resolution: 'DNS',
    },
    expect: ['E SERVICE_ENTRY_INVALID spec.ports[0]', 'W SERVICE_ENTRY_INVALID spec.hosts'],
  },
  {
    name: 'workloadSelector and endpoints are exclusive',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['vm.internal'],
      ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
      resolution: 'STATIC',
      workloadSelector: { labels: { app: 'vm' } },
      endpoints: [],
    },
    expect: ['E ONE_OF spec'],
  },
  {
    name: 'DYNAMIC_DNS needs wildcard hosts',
    kind: 'ServiceEntry',
    spec: {
      hosts: ['api.example.com'],
      ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
      resolution: 'DYNAMIC_DNS',
    },
    expect: ['E SERVICE_ENTRY_INVALID spec.hosts[0]'],
  },
  {
    name: 'exportTo ~ hides a ServiceEntry from everyone',
    kind: 'ServiceEntry',
    spec: { hosts: ['api.example.com'], ports: [https], resolution: 'DNS', exportTo: ['~'] },
    expect: [],
  },
];

const workloads: ValidationCase[] = [
  {
    name: 'a VM WorkloadEntry is valid',
    kind: 'WorkloadEntry',
    spec: {
      address: '10.0.0.7',
      labels: { app: 'ratings', version: 'v1' },
      serviceAccount: 'ratings',
      ports: { http: 9080 },
    },
    expect: [],
  },
  {
    name: 'a WorkloadEntry may use a DNS name',
    kind: 'WorkloadEntry',
    spec: { address: 'vm-1.corp.example.com' },
    expect: [],
  },
  {
    name: 'a WorkloadEntry needs an address',
    kind: 'WorkloadEntry',
    spec: { labels: { app: 'x' } },
    expect: ['E WORKLOAD_INVALID spec.address'],
  },
  {
    name: 'a network without address is a warning',
    kind: 'WorkloadEntry',
    spec: { network: 'vpc-2' },
    expect: ['W WORKLOAD_INVALID spec.address'],
  },
  {
    name: 'WorkloadEntry ports must be valid',
    kind: 'WorkloadEntry',
    spec: { address: '10.0.0.7', ports: { http: 0 } },
    expect: ['E PORT_INVALID spec.ports.http'],
  },
  {
    name: 'a unix socket endpoint cannot have ports',
    kind: 'WorkloadEntry',
    spec: { address: 'unix:///var/run/app.sock', ports: { http: 80 } },
    expect: ['E WORKLOAD_INVALID spec.ports'],
  },
  {
    name: 'a WorkloadGroup with an HTTP probe is valid',
    kind: 'WorkloadGroup',
    spec: {
      metadata: { labels: { app: 'reviews' } },
      template: { serviceAccount: 'reviews' },
      probe: { periodSeconds: 5, httpGet: { path: '/ready', port: 8080 } },
    },
    expect: [],
  },
  {
    name: 'a WorkloadGroup needs a template (schema)',
    kind: 'WorkloadGroup',
    spec: { metadata: {} },
    expect: ['E SCHEMA_REQUIRED spec.template'],
  },
  {
    name: 'a probe scheme is HTTP or HTTPS',
    kind: 'WorkloadGroup',
    spec: { template: {}, probe: { httpGet: { port: 8080, scheme: 'FTP' } } },
    expect: ['E WORKLOAD_INVALID spec.probe.httpGet.scheme'],
  },
  {
    name: 'a probe has one method',
    kind: 'WorkloadGroup',
    spec: { template: {}, probe: { httpGet: { port: 8080 }, tcpSocket: { port: 8080 } } },
    expect: ['E ONE_OF spec.probe'],
  },
  {
    name: 'negative probe timings are rejected by the schema',
    kind: 'WorkloadGroup',
    spec: { template: {}, probe: { periodSeconds: -1, exec: { command: ['true'] } } },
    expect: ['E SCHEMA_RANGE spec.probe.periodSeconds'],
  },
];

describe('ServiceEntry validation', () => runCases(serviceEntries));
describe('WorkloadEntry and WorkloadGroup validation', () => runCases(workloads));
