import type { GatewaySpec, Server } from '../../api/networking/gateway.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkNamespacedHost } from './hosts.js';
import { checkPort, checkIpAddress, checkUnixAddress, isDns1123Label } from './primitives.js';
import { isHttpProtocol, isTlsProtocol, parseProtocol } from './protocols.js';
import { checkServerTls } from './server-tls.js';

/** Gateway rules (Istio's `ValidateGateway`): servers, their ports, hosts, bind addresses and TLS. */

const UNIX_PREFIX = 'unix://';

export function checkGateway(spec: GatewaySpec, name: string, c: FindingCollector): void {
  // The name becomes part of generated route names, so it must be a plain DNS label (no dots).
  if (name !== '' && !isDns1123Label(name))
    c.error('METADATA_INVALID', 'metadata.name', `invalid gateway name: ${JSON.stringify(name)}`);
  const servers = spec.servers ?? [];
  if (servers.length === 0)
    c.error('SERVER_INVALID', 'spec.servers', 'gateway must have at least one server');
  const portNames = new Set<string>();
  servers.forEach((server, i) => {
    const at = item('spec.servers', i);
    checkServer(server, at, c);
    if (portNames.has(server.port.name)) {
      c.error(
        'SERVER_INVALID',
        nested(at, 'port.name'),
        `port names in servers must be unique: duplicate name ${server.port.name}`,
      );
    }
    portNames.add(server.port.name);
    if (!isHttpProtocol(parseProtocol(server.port.protocol)) && server.tls?.httpsRedirect === true) {
      c.warning(
        'SERVER_INVALID',
        nested(at, 'tls.httpsRedirect'),
        'tls.httpsRedirect should only be used with http servers',
      );
    }
  });
}

function checkServer(server: Server, path: string, c: FindingCollector): void {
  if (server.hosts.length === 0)
    c.error('SERVER_INVALID', field(path, 'hosts'), 'server config must contain at least one host');
  server.hosts.forEach((host, i) => {
    for (const problem of checkNamespacedHost(host, true))
      c.error('HOST_INVALID', item(field(path, 'hosts'), i), problem);
  });
  const bind = server.bind ?? '';
  const port = server.port;
  const portPath = field(path, 'port');
  const protocol = parseProtocol(port.protocol);
  let portValid = true;
  const portError = (at: string, message: string) => {
    c.error('PORT_INVALID', at, message);
    portValid = false;
  };
  if (protocol === undefined) {
    portError(
      field(portPath, 'protocol'),
      `invalid protocol ${JSON.stringify(port.protocol)}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`,
    );
  }
  if (port.number > 0 || !bind.startsWith(UNIX_PREFIX)) {
    const problem = checkPort(port.number);
    if (problem !== undefined) portError(field(portPath, 'number'), problem);
  }
  if ((port.targetPort ?? 0) > 0)
    portError(field(portPath, 'targetPort'), 'targetPort has no impact on Gateways');
  if (port.name === '') portError(field(portPath, 'name'), 'port name must be set');
  if (bind.startsWith(UNIX_PREFIX)) {
    c.check('ADDRESS_INVALID', field(path, 'bind'), checkUnixAddress(bind.slice(UNIX_PREFIX.length)));
    if (port.number !== 0)
      c.error('PORT_INVALID', field(portPath, 'number'), 'port number must be 0 for unix domain socket');
  } else if (bind !== '') {
    c.check('ADDRESS_INVALID', field(path, 'bind'), checkIpAddress(bind));
  }
  const tls = server.tls;
  if (tls !== undefined) checkServerTls(tls, field(path, 'tls'), c);
  if (!portValid) return;
  if (isTlsProtocol(protocol) && tls === undefined) {
    c.error('SERVER_INVALID', path, 'server must have TLS settings for HTTPS/TLS protocols');
  } else if (!isTlsProtocol(protocol) && tls !== undefined) {
    // A plain HTTP server may only carry `tls` to redirect to HTTPS.
    const passthrough =
      tls.mode === undefined || tls.mode === 'PASSTHROUGH' || tls.mode === 'AUTO_PASSTHROUGH';
    const redirectOnly = passthrough && !tls.caCertificates && !tls.privateKey && !tls.serverCertificate;
    if (!isHttpProtocol(protocol))
      c.error(
        'SERVER_INVALID',
        field(path, 'tls'),
        'server cannot have TLS settings for non HTTPS/TLS ports',
      );
    else if (!redirectOnly)
      c.error(
        'SERVER_INVALID',
        field(path, 'tls'),
        'server cannot have TLS settings for plain text HTTP ports',
      );
  }
}
