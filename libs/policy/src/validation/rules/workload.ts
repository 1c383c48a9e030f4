import type { WorkloadEntrySpec } from '../../api/networking/workload-entry.js';
import type { ReadinessProbe, WorkloadGroupSpec } from '../../api/networking/workload-group.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkLabels } from './common.js';
import { checkFqdn } from './hosts.js';
import { checkPort, checkUnixAddress, isIpAddress } from './primitives.js';
import { checkPortName } from './protocols.js';

/** WorkloadEntry (also a ServiceEntry endpoint) and WorkloadGroup rules. */

const UNIX_PREFIX = 'unix://';

export interface WorkloadEntryContext {
  /** The ServiceEntry's port names, when the entry is one of its endpoints. */
  servicePorts?: ReadonlySet<string>;
  /** A standalone WorkloadEntry may name a DNS host; a STATIC ServiceEntry endpoint must be an IP. */
  allowFqdnAddress: boolean;
}

export function checkWorkloadEntry(
  entry: WorkloadEntrySpec,
  path: string,
  context: WorkloadEntryContext,
  c: FindingCollector,
): void {
  const address = entry.address ?? '';
  const addressPath = field(path, 'address');
  if (address === '') {
    if ((entry.network ?? '') === '') {
      c.error('WORKLOAD_INVALID', addressPath, 'address is required');
      return;
    }
    c.warning(
      'WORKLOAD_INVALID',
      addressPath,
      `address is unset with network ${JSON.stringify(entry.network)}`,
    );
  }
  const unix = address.startsWith(UNIX_PREFIX);
  if (unix) {
    c.check('ADDRESS_INVALID', addressPath, checkUnixAddress(address.slice(UNIX_PREFIX.length)));
    if (Object.keys(entry.ports ?? {}).length > 0)
      c.error('WORKLOAD_INVALID', field(path, 'ports'), `unix endpoint ${address} must not include ports`);
  } else if (address !== '' && !isIpAddress(address)) {
    if (!context.allowFqdnAddress)
      c.error(
        'ADDRESS_INVALID',
        addressPath,
        `endpoint address ${JSON.stringify(address)} is not a valid IP address`,
      );
    else if (checkFqdn(address) !== undefined) {
      c.error(
        'ADDRESS_INVALID',
        addressPath,
        `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`,
      );
    }
  }
  for (const [name, port] of Object.entries(entry.ports ?? {})) {
    const at = field(field(path, 'ports'), name);
    if (context.servicePorts !== undefined && !context.servicePorts.has(name)) {
      c.error('WORKLOAD_INVALID', at, `endpoint port ${port} is not defined by the service entry`);
    }
    c.check('PORT_INVALID', at, checkPortName(name));
    c.check('PORT_INVALID', at, checkPort(port));
  }
  checkLabels(entry.labels, field(path, 'labels'), c);
  if (unix && context.servicePorts !== undefined && context.servicePorts.size !== 1) {
    c.error('WORKLOAD_INVALID', path, 'exactly 1 service port required for unix endpoints');
  }
}

const PROBE_HEADER_NAME = /^[-A-Za-z0-9]+$/;

/** Readiness probes of auto-registered VMs; like Istio, only HTTP GET, TCP and exec probes are accepted. */
function checkProbe(probe: ReadinessProbe, path: string, c: FindingCollector): void {
  if (probe.httpGet !== undefined) {
    const at = field(path, 'httpGet');
    c.check('PORT_INVALID', field(at, 'port'), checkPort(probe.httpGet.port));
    const scheme = probe.httpGet.scheme ?? '';
    if (scheme !== '' && scheme !== 'HTTP' && scheme !== 'HTTPS')
      c.error('WORKLOAD_INVALID', field(at, 'scheme'), 'httpGet.scheme must be one of "HTTPS", "HTTP"');
    probe.httpGet.httpHeaders?.forEach((header, i) => {
      const name = header.name ?? '';
      const where = field(item(field(at, 'httpHeaders'), i), 'name');
      if (!PROBE_HEADER_NAME.test(name))
        c.error('HEADER_INVALID', where, `header name ${JSON.stringify(name)} is not a valid header name`);
    });
  } else if (probe.tcpSocket !== undefined) {
    c.check('PORT_INVALID', nested(path, 'tcpSocket.port'), checkPort(probe.tcpSocket.port));
  } else if (probe.exec !== undefined) {
    if (probe.exec.command.length === 0)
      c.error('WORKLOAD_INVALID', nested(path, 'exec.command'), 'exec.command is required');
  } else {
    const method = probe.grpc === undefined ? 'none' : 'grpc';
    c.error(
      'WORKLOAD_INVALID',
      path,
      `unknown health check method ${method}: use httpGet, tcpSocket or exec`,
    );
  }
}

export function checkWorkloadGroup(spec: WorkloadGroupSpec, c: FindingCollector): void {
  checkLabels(spec.metadata?.labels, 'spec.metadata.labels', c);
  if (spec.probe !== undefined) checkProbe(spec.probe, 'spec.probe', c);
}
