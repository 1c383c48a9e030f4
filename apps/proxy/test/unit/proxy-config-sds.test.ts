import { readFileSync } from 'node:fs';

import { createSelfSignedRoot } from '@mesh/pki';
import {
  MemoryResourceSource,
  startAdsServer,
  TypeUrl,
  type EnvoyListener,
  type EnvoyRouteConfiguration,
  type RunningAdsServer,
  type Secret,
} from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { ProxyConfigState, type ConfigSnapshot } from '../../src/xds/proxy-config-state.js';

/**
 * The proxy's SDS subscription over its ADS stream, against a real ADS server holding istiod's golden
 * gateway output: a gateway asks for exactly the `kubernetes://` secrets its listeners name and
 * publishes its listeners only once they came (warming); a secret that fails validation is NACKed and
 * the last good one stays; a sidecar asks for none.
 */

const GOLDEN = new URL(
  '../../../../libs/xds/src/generation/testdata/gateway/https-simple-mutual-redirect.out.yaml',
  import.meta.url,
);
const { listeners, routes } = parse(readFileSync(GOLDEN, 'utf8')) as {
  listeners: EnvoyListener[];
  routes: EnvoyRouteConfiguration[];
};
const NAMES = [
  'kubernetes://admin-credential',
  'kubernetes://admin-credential-cacert',
  'kubernetes://httpbin-credential',
];

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const ca = createSelfSignedRoot({ trustDomain: 'example.test', organization: 'gateway test CA' });

function credential(name: string, keyOf?: string): Secret {
  const leaf = ca.issueServerCertificate({ dnsNames: ['httpbin.example.com'] });
  const other = keyOf ? ca.issueServerCertificate({ dnsNames: [keyOf] }).privateKeyPem : undefined;
  return {
    name,
    tls_certificate: {
      certificate_chain: { inline_bytes: b64(leaf.chainPem.join('')) },
      private_key: { inline_bytes: b64(other ?? leaf.privateKeyPem) },
    },
  };
}

const secrets = (): Secret[] => [
  credential('kubernetes://httpbin-credential'),
  credential('kubernetes://admin-credential'),
  {
    name: 'kubernetes://admin-credential-cacert',
    validation_context: { trusted_ca: { inline_bytes: b64(ca.trustBundle.toPem()) } },
  },
];

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the proxy's SDS subscription", () => {
  let server: RunningAdsServer | undefined;
  let state: ProxyConfigState | undefined;
  afterEach(async () => {
    state?.stop();
    await server?.close();
  });

  async function start(kind: 'router' | 'sidecar') {
    const source = new MemoryResourceSource((_type, r) => (r as { name?: string }).name ?? '');
    source.set(TypeUrl.Listener, listeners);
    source.set(TypeUrl.RouteConfiguration, routes);
    server = await startAdsServer({ source });
    state = new ProxyConfigState({
      target: `127.0.0.1:${server.port}`,
      node: { id: `${kind}~10.0.0.30~gw-0.istio-system~istio-system.svc.cluster.local` },
    });
    const snapshots: ConfigSnapshot[] = [];
    /** How many secrets had been accepted when each snapshot with listeners was published. */
    const secretsAtPublish: number[] = [];
    const rejected: string[] = [];
    state.on('snapshot', (s) => {
      snapshots.push(s);
      if (s.config.listeners.length > 0) secretsAtPublish.push(state?.secrets().size ?? 0);
    });
    state.on('rejected', (r) => rejected.push(r.message));
    state.start();
    return { source, server, state, snapshots, secretsAtPublish, rejected };
  }

  const secretNames = (s: ProxyConfigState) =>
    s.client.status().find((t) => t.typeUrl === TypeUrl.Secret)?.names ?? [];

  it('a gateway asks for the secrets its listeners name and warms its listeners on them', async () => {
    const { source, server, state, secretsAtPublish } = await start('router');
    await until('the secret subscription', () => secretNames(state).length === 3);
    expect(secretNames(state)).toEqual(NAMES);
    server.ads.push({ typeUrl: TypeUrl.Secret, names: source.set(TypeUrl.Secret, secrets()) });
    await until('the listeners to be published', () => secretsAtPublish.length > 0);
    // Published only once every secret its chains name had come (Envoy's listener warming).
    expect(secretsAtPublish[0]).toBe(3);
    expect([...state.secrets().keys()].sort()).toEqual(NAMES);
  });

  it('NACKs a secret whose key is not its own and keeps serving the last good one', async () => {
    const { source, server, state, rejected } = await start('router');
    await until('the secret subscription', () => secretNames(state).length === 3);
    server.ads.push({ typeUrl: TypeUrl.Secret, names: source.set(TypeUrl.Secret, secrets()) });
    await until('the secrets', () => state.secrets().size === 3);
    const good = state.secrets().get('kubernetes://httpbin-credential');
    const bad = credential('kubernetes://httpbin-credential', 'other.example.com');
    server.ads.push({ typeUrl: TypeUrl.Secret, names: source.set(TypeUrl.Secret, [bad]) });
    await until('the NACK', () => rejected.length > 0);
    expect(rejected[0]).toBe(
      'Secret kubernetes://httpbin-credential: tls_certificate.private_key: does not match the certificate',
    );
    expect(state.secrets().get('kubernetes://httpbin-credential')).toBe(good);
  });

  it('a sidecar asks istiod for no secrets', async () => {
    const { state, snapshots } = await start('sidecar');
    await until('the listeners to be published', () => snapshots.some((s) => s.config.listeners.length > 0));
    expect(secretNames(state)).toEqual([]);
  });
});
