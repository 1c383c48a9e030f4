import { readFileSync } from 'node:fs';

import { MeshSnapshot } from '@mesh/registry';
import { sidecarConfig, type Call, type ProxyConfig, type SidecarProxy } from '@mesh/xds';

/**
 * Calls through istiod's generated config for three sidecars, each with what it must come to: the
 * table on which the proxy's decision path and libs/xds's `simulate()` are held to the same answers
 * (`simulation-agreement.test.ts`). The meshes are the simulation's own test data and the
 * `tcp-and-tls-routes` golden case.
 */

const XDS_SRC = new URL('../../../../libs/xds/src/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, XDS_SRC), 'utf8');

function configOf(
  proxy: SidecarProxy,
  paths: string[],
  mesh: { outboundTrafficPolicy?: 'REGISTRY_ONLY' } = {},
) {
  const snapshot = MeshSnapshot.fromYaml(paths.map(read).join('\n---\n'), paths.join('+'));
  return sidecarConfig(snapshot, proxy, mesh);
}

const sidecar = (name: string, ip: string, labels: Record<string, string>, serviceAccount: string) => ({
  id: `sidecar~${ip}~${name}.default~default.svc.cluster.local`,
  namespace: 'default',
  labels,
  ipAddresses: [ip],
  serviceAccount,
});
const PRODUCTPAGE = sidecar(
  'productpage-v1-1',
  '10.0.0.9',
  { app: 'productpage', version: 'v1' },
  'bookinfo-productpage',
);
const REVIEWS = sidecar('reviews-1', '10.0.0.7', { app: 'reviews', version: 'v1' }, 'reviews');
const BACKEND = sidecar('backend-1', '10.0.0.30', { app: 'backend' }, 'backend');

const simulationData = (file: string) => `simulation/testdata/${file}`;
const backend = (...files: string[]) => configOf(BACKEND, ['backend.yaml', ...files].map(simulationData));
const BOOKINFO = [simulationData('bookinfo-reviews.yaml')];

const bookinfo = configOf(PRODUCTPAGE, BOOKINFO);
const registryOnly = configOf(PRODUCTPAGE, BOOKINFO, { outboundTrafficPolicy: 'REGISTRY_ONLY' });
const tcpAndTls = configOf(REVIEWS, ['generation/testdata/sidecar-listeners/tcp-and-tls-routes.in.yaml']);
const permissive = backend();
const strict = backend('pa-strict.yaml');
const disable = backend('pa-disable.yaml');
const allowFrontend = backend('authz-allow-frontend.yaml');
const denyAdmin = backend('authz-allow-frontend-anything.yaml', 'authz-deny-admin.yaml');
const dryRun = backend('authz-dry-run.yaml');
const httpsOnly = backend('authz-https-only.yaml');

/** What a call comes to, named so a table where both sides fail the same way cannot pass unnoticed. */
export type Outcome =
  | 'forward'
  | 'direct'
  | 'redirect'
  | 'no-route'
  | 'denied'
  | 'bad-path'
  | 'no-chain'
  | 'handshake-refused'
  | 'unparsable';

export interface AgreementCase {
  name: string;
  config: ProxyConfig;
  call: Call;
  outcome: Outcome;
}

const outbound = (address: string, port: number, extra: Partial<Extract<Call, { direction: 'outbound' }>>) =>
  ({ direction: 'outbound', address, port, protocol: 'http', ...extra }) as const;
const tls = (address: string, sni: string) => outbound(address, 443, { protocol: 'tcp', sni });
const reviews = (extra: Partial<Extract<Call, { direction: 'outbound' }>>) =>
  outbound('10.96.0.10', 9080, { host: 'reviews:9080', ...extra });

const FRONTEND = 'cluster.local/ns/default/sa/frontend';
/** A client sidecar's mTLS: Istio's ALPN and its certificate's identity. */
const MTLS = { tls: true, alpn: ['istio-http/1.1', 'istio'], sourcePrincipal: FRONTEND } as const;
const inbound = (
  port: number,
  protocol: 'http' | 'tcp',
  extra: Partial<Extract<Call, { direction: 'inbound' }>>,
) =>
  ({
    direction: 'inbound',
    port,
    protocol,
    tls: false,
    sourceIp: '127.0.0.1',
    destinationIp: '10.0.0.30',
    ...(protocol === 'http' ? { host: `backend:${port}` } : {}),
    ...extra,
  }) as const;

const tcp = { protocol: 'tcp' } as const;
/** An HTTP request over a client sidecar's mTLS to backend:8080. */
const mtlsHttp = (extra: Partial<Extract<Call, { direction: 'inbound' }>>) =>
  inbound(8080, 'http', { ...MTLS, ...extra });
const INTRUDER = 'cluster.local/ns/default/sa/intruder';

const ROWS: [name: string, config: ProxyConfig, call: Call, outcome: Outcome][] = [
  // Outbound HTTP: virtual host by Host, first matching route, single and weighted clusters.
  ['end-user jason → reviews v2', bookinfo, reviews({ headers: { 'end-user': 'jason' } }), 'forward'],
  ['everyone else → 90/10 v1/v3', bookinfo, reviews({ headers: { 'end-user': 'mary' } }), 'forward'],
  ['the VIP as Host', bookinfo, reviews({ host: '10.96.0.10:9080' }), 'forward'],
  ['a path prefix → its subset', bookinfo, reviews({ path: '/preview/123?x=1' }), 'forward'],
  ['an exact path → redirect', bookinfo, reviews({ path: '/old' }), 'redirect'],
  ['POST on the canary route', bookinfo, reviews({ method: 'POST', path: '/Preview/1' }), 'forward'],
  [
    'unknown host, ALLOW_ANY',
    bookinfo,
    outbound('203.0.113.7', 9080, { host: 'api.example.com' }),
    'forward',
  ],
  [
    'unknown host, REGISTRY_ONLY',
    registryOnly,
    outbound('203.0.113.7', 9080, { host: 'x.example' }),
    'direct',
  ],
  ['raw TCP to an HTTP port', bookinfo, reviews(tcp), 'unparsable'],
  // Outbound TCP and TLS: original destination listener, SNI chains, weighted tcp_proxy.
  ['TCP to an unknown port, ALLOW_ANY', bookinfo, outbound('203.0.113.7', 5555, tcp), 'forward'],
  ['TCP to an unknown port, REGISTRY_ONLY', registryOnly, outbound('203.0.113.7', 5555, tcp), 'forward'],
  ['TCP to orders-db, 80/20', tcpAndTls, outbound('10.96.0.30', 5432, tcp), 'forward'],
  ['TLS, SNI payments.example.com', tcpAndTls, tls('240.240.0.10', 'payments.example.com'), 'forward'],
  ['TLS, a *.beta SNI', tcpAndTls, tls('240.240.0.10', 'eu.beta.payments.example.com'), 'forward'],
  ['TLS, an SNI no route names', tcpAndTls, tls('240.240.0.10', 'other.example.com'), 'no-chain'],
  ['TLS, a VIP-less ServiceEntry by SNI', tcpAndTls, tls('203.0.113.5', 'api.github.example'), 'forward'],
  // Inbound: PeerAuthentication picks the chain and whether TLS (and a client certificate) is required.
  ['PERMISSIVE: mTLS HTTP', permissive, inbound(8080, 'http', MTLS), 'forward'],
  ['PERMISSIVE: plaintext HTTP', permissive, inbound(8080, 'http', {}), 'forward'],
  [
    'PERMISSIVE: TLS without Istio ALPN',
    permissive,
    inbound(5432, 'tcp', { tls: true, alpn: ['pg'] }),
    'forward',
  ],
  ['PERMISSIVE: a port no service declares', permissive, inbound(7777, 'tcp', {}), 'forward'],
  ['STRICT: plaintext HTTP', strict, inbound(8080, 'http', {}), 'no-chain'],
  ['STRICT: plaintext TCP', strict, inbound(5432, 'tcp', {}), 'no-chain'],
  [
    'STRICT: TLS without a certificate',
    strict,
    inbound(8080, 'http', { tls: true, alpn: MTLS.alpn }),
    'handshake-refused',
  ],
  ['STRICT: mTLS TCP', strict, inbound(5432, 'tcp', MTLS), 'forward'],
  ['DISABLE: mTLS TCP is not terminated', disable, inbound(5432, 'tcp', MTLS), 'forward'],
  ['DISABLE: mTLS HTTP cannot be parsed', disable, inbound(8080, 'http', MTLS), 'unparsable'],
  // Inbound RBAC: enforced ALLOW and DENY, dry-run, path normalization, network RBAC.
  ['ALLOW frontend GET /api/items', allowFrontend, mtlsHttp({ path: '/api/items?a=1' }), 'forward'],
  ['ALLOW: another identity', allowFrontend, mtlsHttp({ sourcePrincipal: INTRUDER }), 'denied'],
  ['ALLOW: DELETE', allowFrontend, mtlsHttp({ method: 'DELETE', path: '/api/items' }), 'denied'],
  [
    'ALLOW: a plaintext caller has no identity',
    allowFrontend,
    inbound(8080, 'http', { path: '/api/items' }),
    'denied',
  ],
  ['ALLOW: HTTP-only rules close TCP', allowFrontend, inbound(5432, 'tcp', MTLS), 'denied'],
  ['DENY /admin wins over ALLOW', denyAdmin, mtlsHttp({ path: '/admin/users' }), 'denied'],
  ['DENY after normalizing dot segments', denyAdmin, mtlsHttp({ path: '/reports/../admin' }), 'denied'],
  ['a path normalization rejects', denyAdmin, mtlsHttp({ path: '/api/items%00' }), 'bad-path'],
  ['a dry-run DENY is only reported', dryRun, mtlsHttp({ method: 'DELETE', path: '/x' }), 'forward'],
  ['ALLOW :scheme https, over mTLS', httpsOnly, mtlsHttp({}), 'forward'],
  ['ALLOW :scheme https, plaintext', httpsOnly, inbound(8080, 'http', {}), 'denied'],
];

export const AGREEMENT_CASES: AgreementCase[] = ROWS.map(([name, config, call, outcome]) => ({
  name,
  config,
  call,
  outcome,
}));
