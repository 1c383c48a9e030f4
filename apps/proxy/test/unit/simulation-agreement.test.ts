import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

import {
  originalDestinationListener,
  simulate,
  type Call,
  type InboundResult,
  type OutboundResult,
  type ProxyConfig,
} from '@mesh/xds';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { admitRequest } from '../../src/http/request-admission.js';
import type { HttpDependencies } from '../../src/http/http-stream-context.js';
import {
  chooseFilterChain,
  downstreamConnectionOf,
  type DispatchTarget,
} from '../../src/listeners/chain-selection.js';
import { sniffConnection } from '../../src/listeners/connection-sniffing.js';
import { admitConnection } from '../../src/tcp/tcp-proxy.js';
import { AGREEMENT_CASES, type AgreementCase, type Outcome } from './agreement-requests.js';

/**
 * The proxy and the simulation (what `meshctl` and the tests explain config with) must decide alike:
 * for every call of the table, the chain, TLS termination, route, clusters and RBAC verdict the proxy's
 * own decision path reaches (listener filters on the call's real first bytes, chain selection, the HTTP
 * manager's admission or tcp_proxy's) equal what `simulate()` reports.
 */

interface Verdict {
  outcome: Outcome;
  chain?: string;
  tls?: boolean;
  route?: string;
  /** Every cluster the call can go to (weighted routes: each with a weight above zero). */
  clusters?: string[];
  status?: number;
  /** The policy that denied, for an RBAC denial. */
  policy?: string;
  /** Dry-run (shadow) rules that would have denied. */
  shadowDenied?: string[];
}

function simulated(result: OutboundResult | InboundResult, call: Call): Verdict {
  const inbound = call.direction === 'inbound';
  const at = { chain: result.filterChain, ...(inbound ? { tls: (result as InboundResult).tls } : {}) };
  const rbac = (result as InboundResult).rbac;
  const shadow = rbac?.shadow?.filter((s) => s.effect === 'denied').map((s) => s.policy ?? 'none') ?? [];
  const withShadow = (v: Verdict): Verdict => (shadow.length > 0 ? { ...v, shadowDenied: shadow } : v);
  const error = result.error ?? '';
  if (error === 'no filter chain matched') return { outcome: 'no-chain' };
  if (error.includes('client certificate')) return { ...at, outcome: 'handshake-refused' };
  if (error.includes('parse')) return { ...at, outcome: 'unparsable' };
  if (error.includes('(400)')) return { ...at, outcome: 'bad-path' };
  const route = result.route;
  const named = route ? { route } : {};
  if (error.includes('404 NR')) return withShadow({ ...at, outcome: 'no-route' });
  if ((result as InboundResult).denied)
    return withShadow({ ...at, outcome: 'denied', ...(rbac?.policy ? { policy: rbac.policy } : {}) });
  const out = result as OutboundResult;
  if (out.directResponse) return { ...at, outcome: 'direct', ...named, status: out.directResponse.status };
  if (out.redirect) return { ...at, outcome: 'redirect', ...named };
  const clusters = inbound
    ? [(result as InboundResult).cluster ?? '']
    : out.clusters.filter((c) => c.weight !== 0).map((c) => c.name);
  return withShadow({ ...at, outcome: 'forward', ...named, clusters: clusters.sort() });
}

let server: Server;
const accepted: Socket[] = [];
const open: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
  vi.restoreAllMocks();
});
afterAll(() => server.close());

/** A connection carrying the call's first bytes (a ClientHello, an HTTP/1.1 request, or opaque bytes). */
async function connectionFor(call: Call): Promise<Socket> {
  const { port } = server.address() as AddressInfo;
  const tls = call.direction === 'inbound' ? call.tls : call.sni !== undefined;
  const client: Socket = tls
    ? connectTls({
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ...(call.sni ? { servername: call.sni } : {}),
        ...(call.direction === 'inbound' && call.alpn ? { ALPNProtocols: [...call.alpn] } : {}),
      })
    : connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  open.push(client);
  if (!tls)
    client.write(
      call.protocol === 'http'
        ? `${call.method ?? 'GET'} ${call.path ?? '/'} HTTP/1.1\r\nhost: ${call.host}\r\n\r\n`
        : Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]), // a Postgres SSLRequest: opaque to http_inspector
    );
  while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const socket = accepted.shift() as Socket;
  open.push(socket);
  return socket;
}

function targetOf(config: ProxyConfig, call: Call): DispatchTarget | undefined {
  if (call.direction === 'inbound') {
    const listener = config.listeners.find((l) => l.name === 'virtualInbound');
    return listener && { direction: 'inbound', listener, address: call.destinationIp ?? '', port: call.port };
  }
  const receiving = config.listeners.find((l) => l.use_original_dst?.value === true);
  const listener =
    receiving && originalDestinationListener(config.listeners, receiving, call.address, call.port);
  return listener && { direction: 'outbound', listener, address: call.address, port: call.port };
}

/** Runs `decide` once per random point spread over [0, 1), so a weighted choice shows every cluster it can pick. */
function everyPick<T>(decide: () => T): T[] {
  const spy = vi.spyOn(Math, 'random');
  return Array.from({ length: 100 }, (_, i) => {
    spy.mockReturnValue(i / 100);
    return decide();
  });
}

/** What the proxy does with the call: the same steps `dispatchConnection` and the HTTP manager take. */
async function proxied(config: ProxyConfig, call: Call): Promise<Verdict> {
  const target = targetOf(config, call);
  if (!target) return { outcome: 'no-chain' };
  const socket = await connectionFor(call);
  const { chain, sniffed } = await chooseFilterChain(socket, target, (s) => sniffConnection(s, 1_000));
  if (!chain) return { outcome: 'no-chain' };
  const inbound = call.direction === 'inbound';
  const at = { chain: chain.name, ...(inbound ? { tls: chain.tls !== undefined } : {}) };
  const connection = downstreamConnectionOf(socket, target, chain, sniffed);
  const principal = inbound ? call.sourcePrincipal : undefined;
  if (chain.tls) {
    // The handshake: a required client certificate, verified, gives the peer its identity.
    if (chain.tls.requireClientCertificate && principal === undefined)
      return { ...at, outcome: 'handshake-refused' };
    connection.tls = true;
    if (principal !== undefined) connection.peerPrincipal = principal;
  }
  const shadow = new Set<string>();
  const deps = {
    snapshot: () => ({ config, generation: 1, lastUpdated: new Map() }),
    reporter: { rbac: (d: { policy: string; shadow: boolean }) => d.shadow && shadow.add(d.policy) },
  } as unknown as HttpDependencies;
  const withShadow = (v: Verdict): Verdict => (shadow.size > 0 ? { ...v, shadowDenied: [...shadow] } : v);
  if (!chain.http) {
    const admissions = everyPick(() => admitConnection(chain, connection, deps));
    const first = admissions[0];
    if (first?.kind === 'denied')
      return withShadow({
        ...at,
        outcome: 'denied',
        ...(first.policy !== 'none' ? { policy: first.policy } : {}),
      });
    const clusters = new Set(admissions.map((a) => (a.kind === 'forward' ? a.clusterName : '')));
    return withShadow({ ...at, outcome: 'forward', clusters: [...clusters].sort() });
  }
  // An HTTP manager parses HTTP only: a TLS handshake it does not terminate, or opaque bytes, fail to
  // parse. Plaintext not inspected yet is inspected now, as `dispatchConnection` does.
  if (!chain.tls) {
    const seen = sniffed?.plaintext === undefined ? await sniffConnection(socket, 1_000) : sniffed;
    if (seen.plaintext !== 'http1' && seen.plaintext !== 'h2c') return { ...at, outcome: 'unparsable' };
  }
  const headers = Object.fromEntries(
    Object.entries(call.headers ?? {}).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? v : [...v]]),
  );
  const request = {
    method: call.method ?? 'GET',
    path: call.path ?? '/',
    authority: call.host ?? '',
    headers,
  };
  const admissions = everyPick(() => admitRequest(request, connection, deps));
  const first = admissions[0];
  if (!first) throw new Error('no admission');
  if (first.kind === 'forward') {
    const clusters = new Set(admissions.map((a) => (a.kind === 'forward' ? a.decision.cluster : '')));
    const named = first.decision.route ? { route: first.decision.route } : {};
    return withShadow({ ...at, outcome: 'forward', ...named, clusters: [...clusters].sort() });
  }
  const named = first.route ? { route: first.route } : {};
  if (first.details === 'route_not_found') return withShadow({ ...at, outcome: 'no-route' });
  if (first.details === 'path_normalization_failed') return { ...at, outcome: 'bad-path' };
  if (first.details === 'direct_response')
    return { ...at, outcome: 'direct', ...named, status: first.status };
  if (first.details === 'via_redirect') return { ...at, outcome: 'redirect', ...named };
  const policy = /^rbac_access_denied_matched_policy\[(.*)\]$/.exec(first.details)?.[1];
  return withShadow({ ...at, outcome: 'denied', ...(policy && policy !== 'none' ? { policy } : {}) });
}

describe('the proxy decides as the simulation says', () => {
  it.each(AGREEMENT_CASES.map((c): [string, AgreementCase] => [c.name, c]))('%s', async (_name, testCase) => {
    const expected = simulated(simulate(testCase.config, testCase.call), testCase.call);
    expect(expected.outcome).toBe(testCase.outcome);
    expect(await proxied(testCase.config, testCase.call)).toEqual(expected);
  });
});
