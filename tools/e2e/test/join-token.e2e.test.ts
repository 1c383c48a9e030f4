import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials as grpcCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { CaClient, createCsr, generateKeyPair, parseCertificate, STATE_FILES } from '@mesh/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { meshctl, startIstiodProcess, type IstiodProcess } from './processes.js';

/**
 * Join tokens as an operator handles them: minted offline by `meshctl local token create`, exchanged
 * for a workload certificate on istiod's TLS port only, refused when they live longer than istiod's
 * `--max-join-token-ttl`, and revoked by `meshctl local token revoke` while istiod runs.
 */

const dirs = [mkdtempSync(join(tmpdir(), 'e2e-state-')), mkdtempSync(join(tmpdir(), 'e2e-config-'))];
const [state, config] = dirs as [string, string];
let istiod: IstiodProcess;

function mint(namespace: string, serviceAccount: string, ...extra: string[]): string {
  const created = meshctl([
    ...['local', 'token', 'create', '-n', namespace, '--sa', serviceAccount, '--state-dir', state],
    ...extra,
  ]);
  expect(created.status).toBe(0);
  return created.stdout.trim();
}

/** CreateCertificate with a token: the chain's leaf identity, or the gRPC refusal. */
async function exchange(
  token: string,
  identity: string,
  address = `127.0.0.1:${istiod.ports.secureXdsPort}`,
): Promise<{ identity?: string; error?: { code: number; details: string } }> {
  const client = new CaClient(
    address.endsWith(`:${istiod.ports.secureXdsPort}`)
      ? {
          address,
          credentials: grpcCredentials.createSsl(readFileSync(join(state, STATE_FILES.rootCert))),
          channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
        }
      : { address },
  );
  try {
    const csr = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity });
    const chain = await client.createCertificate({ csr }, { token });
    return { identity: parseCertificate(chain[0]!).uris[0] };
  } catch (err) {
    const { code, details } = err as ServiceError;
    return { error: { code, details } };
  } finally {
    client.close();
  }
}

const CHECKOUT = 'spiffe://cluster.local/ns/shop/sa/checkout';

describe('join tokens', () => {
  let early: string;
  beforeAll(async () => {
    // The token is minted offline, before istiod ever ran on this state directory.
    early = mint('shop', 'checkout');
    istiod = await startIstiodProcess({ configDir: config, stateDir: state });
  });
  afterAll(async () => {
    expect(await istiod.stop()).toBe(0);
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('a token from `meshctl local token create` gets a certificate from istiod on the same state dir, over TLS only', async () => {
    expect(await exchange(early, CHECKOUT)).toEqual({ identity: CHECKOUT });
    // The plaintext port serves config only: a bearer token sent there would cross the network in clear.
    const plaintext = await exchange(early, CHECKOUT, `127.0.0.1:${istiod.ports.xdsPort}`);
    expect(plaintext.error?.code).toBe(status.UNIMPLEMENTED);
  });

  it('refuses a token that lives longer than --max-join-token-ttl (7 days by default)', async () => {
    const century = meshctl([
      ...['local', 'token', 'create', '-n', 'shop', '--sa', 'checkout', '--state-dir', state],
      ...['--ttl', '36500d'],
    ]);
    expect(century.status).toBe(0);
    expect(century.stderr).toMatch(/longer than 7d/);
    const refused = await exchange(century.stdout.trim(), CHECKOUT);
    expect(refused.error?.code).toBe(status.UNAUTHENTICATED);
    expect(refused.error?.details).toMatch(/lives 3153600000s, longer than the 604800s allowed/);
    expect(await exchange(mint('shop', 'checkout', '--ttl', '7d'), CHECKOUT)).toEqual({ identity: CHECKOUT });
  });

  it('`meshctl local token revoke` revokes one token, then all, on a running istiod', async () => {
    const stolen = mint('shop', 'checkout');
    const kept = mint('shop', 'checkout');
    const revoke = meshctl(['local', 'token', 'revoke', stolen, '--state-dir', state]);
    expect(revoke.status).toBe(0);
    const refused = await exchange(stolen, CHECKOUT);
    expect(refused.error?.code).toBe(status.UNAUTHENTICATED);
    expect(refused.error?.details).toMatch(/has been revoked/);
    expect(await exchange(kept, CHECKOUT)).toEqual({ identity: CHECKOUT });

    expect(meshctl(['local', 'token', 'revoke', '--all', '--state-dir', state]).status).toBe(0);
    expect((await exchange(kept, CHECKOUT)).error?.details).toMatch(/signature/);
    expect(await exchange(mint('shop', 'checkout'), CHECKOUT)).toEqual({ identity: CHECKOUT });
  });
});
