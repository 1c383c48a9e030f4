import type { Gateway, Server } from '@mesh/policy';
import { describe, expect, it } from 'vitest';

import type { BoundGateway } from './gateway-binding.js';
import { gatewayPorts } from './gateway-servers.js';

/** How servers are served, and the servers left out with the field that is wrong. */

function gateway(name: string, servers: Server[]): BoundGateway {
  const spec = { servers, selector: { istio: 'ingressgateway' } };
  const object = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name }, spec };
  return { key: `default/${name}`, namespace: 'default', name, gateway: object as Gateway };
}

function server(number: number, protocol: string, tls?: Server['tls'], name = 'p'): Server {
  return { port: { number, name, protocol }, hosts: ['*'], ...(tls ? { tls } : {}) };
}

describe('gatewayPorts', () => {
  it.each([
    { s: server(80, 'HTTP'), kind: 'http', route: 'http.80' },
    { s: server(80, 'http2'), kind: 'http', route: 'http.80' },
    { s: server(80, 'HTTP', { httpsRedirect: true }), kind: 'http', route: 'http.80' },
    {
      s: server(443, 'HTTPS', { mode: 'SIMPLE', credentialName: 'c' }, 'https'),
      kind: 'https',
      route: 'https.443.https.gw.default',
    },
    {
      s: server(443, 'HTTPS', { mode: 'ISTIO_MUTUAL' }, 'https'),
      kind: 'https',
      route: 'https.443.https.gw.default',
    },
    { s: server(443, 'TLS', { mode: 'PASSTHROUGH' }), kind: 'tls-passthrough', route: undefined },
    { s: server(15443, 'TLS', { mode: 'AUTO_PASSTHROUGH' }), kind: 'tls-auto-passthrough', route: undefined },
    // An unset mode is PASSTHROUGH (the enum's zero value), even with a credential.
    { s: server(443, 'HTTPS', { credentialName: 'c' }), kind: 'tls-passthrough', route: undefined },
    {
      s: server(443, 'TLS', { mode: 'MUTUAL', credentialName: 'c' }),
      kind: 'tls-terminated',
      route: undefined,
    },
    { s: server(5432, 'TCP'), kind: 'tcp', route: undefined },
  ])('$s.port.protocol $s.tls → $kind', ({ s, kind, route }) => {
    const { ports, problems } = gatewayPorts([gateway('gw', [s])]);
    expect(problems).toEqual([]);
    expect(ports[0]?.servers[0]?.kind).toBe(kind);
    expect(ports[0]?.servers[0]?.routeName).toBe(route);
  });

  it.each([
    { s: server(443, 'HTTPS'), problem: 'spec.servers[0].tls: required for protocol HTTPS' },
    {
      s: server(443, 'HTTPS', { mode: 'SIMPLE' }),
      problem: 'spec.servers[0].tls.credentialName: required for mode SIMPLE',
    },
    {
      s: server(443, 'HTTPS', { mode: 'SIMPLE', credentialNames: ['a'] }),
      problem: 'spec.servers[0].tls: credentialNames',
    },
    { s: server(80, 'UDP'), problem: 'spec.servers[0].port.protocol: UDP is not a gateway server protocol' },
  ])('leaves out $s.port.protocol $s.tls: $problem', ({ s, problem }) => {
    const { ports, problems } = gatewayPorts([gateway('gw', [s])]);
    expect(ports).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`Gateway default/gw: ${problem}`);
  });

  it('keeps the first family of a port: a later HTTPS server on a plain-HTTP port is left out', () => {
    const first = gateway('a', [server(8080, 'HTTP')]);
    const second = gateway('b', [
      server(8080, 'HTTP'),
      server(8080, 'HTTPS', { mode: 'SIMPLE', credentialName: 'c' }),
    ]);
    const { ports, problems } = gatewayPorts([first, second]);
    expect(ports.map((p) => p.servers.map((s) => s.gateway.key))).toEqual([['default/a', 'default/b']]);
    expect(problems).toEqual([
      'Gateway default/b: spec.servers[1].port: port 8080 already serves HTTP (Gateway default/a); HTTPS cannot share it',
    ]);
  });

  it("listens on the target port of the gateway's Service port a server names (Istio's resolvePorts)", () => {
    const targets: Record<number, number> = { 80: 8080, 443: 8443 };
    const resolve = (port: number) => targets[port] ?? port;
    const { ports, problems } = gatewayPorts(
      [
        gateway('gw', [
          server(80, 'HTTP'),
          server(8080, 'HTTP'),
          server(443, 'HTTPS', { mode: 'SIMPLE', credentialName: 'c' }, 'https'),
          server(9000, 'TCP'),
        ]),
      ],
      resolve,
    );
    expect(problems).toEqual([]);
    // Port 80 and 8080 merge on 8080 (one http.8080); HTTPS keeps the server's port in its route name.
    expect(ports.map((p) => [p.port, p.servers.map((s) => [s.server.port.number, s.routeName])])).toEqual([
      [
        8080,
        [
          [80, 'http.8080'],
          [8080, 'http.8080'],
        ],
      ],
      [8443, [[443, 'https.443.https.gw.default']]],
      [9000, [[9000, undefined]]],
    ]);
  });
});
