import type { ObjectMeta } from '../../api/kubernetes/object-meta.js';
import type { ServiceEntrySpec } from '../../api/networking/service-entry.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkExportTo, checkLabels, checkNetworkingSelector } from './common.js';
import { checkFqdn, checkPartialWildcard, checkWildcardDomain, isWildcardHost } from './hosts.js';
import { checkIpOrCidr, checkPort, isIpAddress } from './primitives.js';
import { checkPortName, checkProtocol, isHttpProtocol, isTlsProtocol, parseProtocol } from './protocols.js';
import { checkWorkloadEntry } from './workload.js';

/**
 * ServiceEntry rules (Istio's `ValidateServiceEntry`). The resolution mode decides what else is
 * allowed: NONE takes no endpoints, STATIC needs IP endpoints, DNS resolves hosts or endpoint names,
 * DYNAMIC_DNS resolves wildcard hosts per request.
 */

/** Opts a ServiceEntry into automatic VIP allocation, which makes `addresses` unnecessary for TCP ports. */
const AUTO_ALLOCATE_LABEL = 'networking.istio.io/enable-autoallocate-ip';

export function checkServiceEntry(spec: ServiceEntrySpec, metadata: ObjectMeta, c: FindingCollector): void {
  const resolution = spec.resolution ?? 'NONE';
  checkNetworkingSelector(spec.workloadSelector, 'spec.workloadSelector', c);
  if (spec.workloadSelector !== undefined && spec.endpoints !== undefined) {
    c.error('ONE_OF', 'spec', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  }
  spec.hosts.forEach((host, i) => {
    const at = item('spec.hosts', i);
    if (host === '*') return c.error('HOST_INVALID', at, `invalid host ${host}`);
    c.check('HOST_INVALID', at, checkWildcardDomain(host));
    const partial = checkPartialWildcard(host);
    if (partial !== undefined && resolution !== 'DYNAMIC_DNS') c.warning('HOST_INVALID', at, partial);
  });
  const addresses = spec.addresses ?? [];
  addresses.forEach((address, i) =>
    c.check('ADDRESS_INVALID', item('spec.addresses', i), checkIpOrCidr(address)),
  );
  if (addresses.some((a) => a.includes('/')) && resolution !== 'NONE' && resolution !== 'STATIC') {
    c.error(
      'SERVICE_ENTRY_INVALID',
      'spec.addresses',
      'CIDR addresses are allowed only for NONE/STATIC resolution types',
    );
  }

  const autoAllocate = metadata.labels?.[AUTO_ALLOCATE_LABEL] === 'true';
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  spec.ports?.forEach((port, i) => {
    const at = item('spec.ports', i);
    if (portNames.has(port.name))
      c.error(
        'PORT_INVALID',
        field(at, 'name'),
        `service entry port name ${JSON.stringify(port.name)} already defined`,
      );
    if (portNumbers.has(port.number))
      c.error('PORT_INVALID', field(at, 'number'), `service entry port ${port.number} already defined`);
    portNames.add(port.name);
    portNumbers.add(port.number);
    if ((port.targetPort ?? 0) !== 0)
      c.check('PORT_INVALID', field(at, 'targetPort'), checkPort(port.targetPort ?? 0));
    if (
      addresses.length === 0 &&
      !autoAllocate &&
      (port.protocol === undefined || port.protocol === '' || port.protocol === 'TCP')
    ) {
      // Without a VIP, a TCP port can only be told apart by destination port (Istio's IST0134).
      c.warning(
        'SERVICE_ENTRY_INVALID',
        at,
        'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled',
      );
    }
    c.check('PORT_INVALID', field(at, 'name'), checkPortName(port.name));
    c.check('PORT_INVALID', field(at, 'protocol'), checkProtocol(port.protocol));
    c.check('PORT_INVALID', field(at, 'number'), checkPort(port.number));
  });

  const endpoints = spec.endpoints ?? [];
  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0)
        c.error(
          'SERVICE_ENTRY_INVALID',
          'spec.endpoints',
          'no endpoints should be provided for resolution type none',
        );
      if (spec.workloadSelector !== undefined)
        c.warning(
          'SERVICE_ENTRY_INVALID',
          'spec.workloadSelector',
          'workloadSelector should not be set when resolution mode is NONE',
        );
      break;
    case 'STATIC':
      endpoints.forEach((e, i) =>
        checkWorkloadEntry(
          e,
          item('spec.endpoints', i),
          { servicePorts: portNames, allowFqdnAddress: false },
          c,
        ),
      );
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      checkDnsResolution(spec, resolution, portNames, c);
      break;
    case 'DYNAMIC_DNS':
      checkDynamicDns(spec, c);
      break;
  }

  // Plain TCP carries nothing that tells hosts apart (no Host header, no SNI), so one port cannot serve several hosts.
  if (resolution !== 'NONE' && spec.hosts.length > 1) {
    const opaque =
      spec.ports?.findIndex(
        (p) => !isHttpProtocol(parseProtocol(p.protocol)) && !isTlsProtocol(parseProtocol(p.protocol)),
      ) ?? -1;
    if (opaque >= 0)
      c.error(
        'SERVICE_ENTRY_INVALID',
        item('spec.ports', opaque),
        'multiple hosts provided with non-HTTP, non-TLS ports',
      );
  }
  checkExportTo(spec.exportTo, metadata.namespace ?? '', c, { serviceEntry: true });
}

function checkDnsResolution(
  spec: ServiceEntrySpec,
  resolution: string,
  portNames: ReadonlySet<string>,
  c: FindingCollector,
): void {
  const endpoints = spec.endpoints ?? [];
  if (endpoints.length === 0) {
    const index = spec.hosts.findIndex((host) => checkFqdn(host) !== undefined);
    if (index >= 0) {
      const problem = checkFqdn(spec.hosts[index] ?? '') ?? '';
      c.error(
        'HOST_INVALID',
        item('spec.hosts', index),
        `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${problem}`,
      );
    }
  }
  if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
    c.error(
      'SERVICE_ENTRY_INVALID',
      'spec.endpoints',
      `there must only be 0 or 1 endpoint for resolution mode ${resolution}`,
    );
  }
  endpoints.forEach((endpoint, i) => {
    const at = item('spec.endpoints', i);
    const address = endpoint.address ?? '';
    if (!isIpAddress(address) && checkFqdn(address) !== undefined) {
      c.error(
        'ADDRESS_INVALID',
        field(at, 'address'),
        `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`,
      );
    }
    checkLabels(endpoint.labels, field(at, 'labels'), c);
    for (const [name, port] of Object.entries(endpoint.ports ?? {})) {
      const where = field(field(at, 'ports'), name);
      if (!portNames.has(name))
        c.error('WORKLOAD_INVALID', where, `endpoint port ${port} is not defined by the service entry`);
      c.check('PORT_INVALID', where, checkPortName(name));
      c.check('PORT_INVALID', where, checkPort(port));
    }
  });
  if ((spec.addresses?.length ?? 0) > 0 && spec.hosts.length > 1) {
    const tcp = spec.ports?.some((p) => {
      const protocol = parseProtocol(p.protocol);
      return (
        protocol === 'TCP' ||
        protocol === 'HTTPS' ||
        protocol === 'TLS' ||
        protocol === 'Mongo' ||
        protocol === 'Redis' ||
        protocol === 'MySQL'
      );
    });
    if (tcp === true)
      c.warning(
        'SERVICE_ENTRY_INVALID',
        'spec.hosts',
        'service entry can not have more than one host specified simultaneously with address and tcp port',
      );
  }
}

/** DYNAMIC_DNS: the proxy resolves each request's host itself, so hosts are wildcards and nothing is pinned. */
function checkDynamicDns(spec: ServiceEntrySpec, c: FindingCollector): void {
  spec.hosts.forEach((host, i) => {
    if (!isWildcardHost(host))
      c.error(
        'SERVICE_ENTRY_INVALID',
        item('spec.hosts', i),
        'host must be wildcarded for resolution mode DYNAMIC_DNS',
      );
  });
  if ((spec.addresses?.length ?? 0) > 0) {
    c.error(
      'SERVICE_ENTRY_INVALID',
      'spec.addresses',
      'addresses cannot be set for resolution type DYNAMIC_DNS. HTTP route domains will only be generated from the hosts field values',
    );
  }
  if ((spec.endpoints?.length ?? 0) > 0) {
    c.error(
      'SERVICE_ENTRY_INVALID',
      'spec.endpoints',
      'endpoints cannot be set for resolution type DYNAMIC_DNS. Destination IP address determined from hosts field values',
    );
  }
  spec.ports?.forEach((port, i) => {
    const protocol = parseProtocol(port.protocol);
    if (protocol !== 'HTTP' && protocol !== 'TLS' && protocol !== 'GRPC' && protocol !== 'HTTP2') {
      c.error(
        'SERVICE_ENTRY_INVALID',
        item('spec.ports', i),
        'only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type DYNAMIC_DNS',
      );
    }
  });
}
