import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { credentials as grpcCredentials, status } from '@grpc/grpc-js';
import {
  createCsr,
  createIntermediate,
  createSelfSignedRoot,
  generateKeyPair,
  PLUG_IN_CA_FILES,
  STATE_FILES,
  type KeyAlgorithm,
} from '@mesh/pki';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { requestCertificate } from './ca-client.js';
import { caEndpoint, joinToken, startTestIstiod, tempDir } from './istiod-harness.js';
import type { RunningIstiod } from '../src/server/istiod.js';

const FOO = 'spiffe://cluster.local/ns/default/sa/foo';
const dirs: string[] = [];
const running: RunningIstiod[] = [];

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

async function istiod(stateDir: string, args: string[] = []): Promise<RunningIstiod> {
  const started = await startTestIstiod(stateDir, args);
  running.push(started);
  return started;
}

afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes leaf / intermediates / root and runs the real openssl on them. */
function opensslCheck(chain: string[]): { verify: string; text: string } {
  const d = dir('openssl-');
  writeFileSync(join(d, 'leaf.pem'), chain[0]!);
  writeFileSync(join(d, 'chain.pem'), chain.slice(1, -1).join('') || chain.at(-1)!);
  writeFileSync(join(d, 'root.pem'), chain.at(-1)!);
  const verify = execFileSync(
    'openssl',
    ['verify', '-CAfile', join(d, 'root.pem'), '-untrusted', join(d, 'chain.pem'), join(d, 'leaf.pem')],
    {
      encoding: 'utf8',
    },
  );
  const text = execFileSync('openssl', ['x509', '-in', join(d, 'leaf.pem'), '-text', '-noout'], {
    encoding: 'utf8',
  });
  return { verify, text };
}

function validitySeconds(text: string): number {
  const notBefore = Date.parse(/Not Before: (.+)/.exec(text)![1]!);
  const notAfter = Date.parse(/Not After : (.+)/.exec(text)![1]!);
  return (notAfter - notBefore) / 1000;
}

describe.each(['ECDSA_P256', 'RSA_2048'] as KeyAlgorithm[])(
  'CreateCertificate with a %s workload key',
  (algorithm) => {
    it('issues an Istio workload certificate from a self-signed root that openssl verifies', async () => {
      const state = dir('istiod-state-');
      const server = await istiod(state);
      const key = generateKeyPair(algorithm);
      const result = await requestCertificate({
        ...caEndpoint(server),
        csr: createCsr({ privateKey: key.privateKeyPem, identity: FOO }),
        token: await joinToken(state, 'default', 'foo'),
        ttlSeconds: 3600,
      });
      expect(result.error).toBeUndefined();
      expect(result.chain).toHaveLength(2); // leaf, root
      const { verify, text } = opensslCheck(result.chain!);
      expect(verify).toContain('leaf.pem: OK');
      expect(text).toContain(`URI:${FOO}`);
      expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
      expect(text).toMatch(/Digital Signature, Key Encipherment/);
      expect(text).toContain('CA:FALSE');
      expect(text).toContain(algorithm === 'RSA_2048' ? 'Public-Key: (2048 bit)' : 'ASN1 OID: prime256v1');
      expect(validitySeconds(text)).toBe(3600 + 60); // requested TTL + NotBefore skew allowance
    });

    it('issues from a plug-in CA (root → intermediate) given with --ca-dir', async () => {
      const root = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm: 'RSA_2048' });
      const intermediate = createIntermediate({ parent: root, commonName: 'plug-in intermediate' });
      const caDir = dir('cacerts-');
      const files = intermediate.toCacertsFiles();
      for (const name of Object.values(PLUG_IN_CA_FILES)) writeFileSync(join(caDir, name), files[name]);
      const state = dir('istiod-state-');
      const server = await istiod(state, ['--ca-dir', caDir]);
      expect(server.ca.root.pem).toBe(root.certificate.pem);
      const key = generateKeyPair(algorithm);
      const result = await requestCertificate({
        ...caEndpoint(server),
        csr: createCsr({ privateKey: key.privateKeyPem, identity: FOO }),
        token: await joinToken(state, 'default', 'foo'),
      });
      expect(result.chain).toHaveLength(3); // leaf, intermediate, root
      const { verify, text } = opensslCheck(result.chain!);
      expect(verify).toContain('leaf.pem: OK');
      expect(text).toMatch(/Issuer: .*CN\s*=\s*plug-in intermediate/);
      expect(validitySeconds(text)).toBe(24 * 3600 + 60); // no TTL requested: Istio's default 24h
    });
  },
);

describe('CreateCertificate authentication', () => {
  it('refuses an identity the caller did not prove, bad tokens and no token', async () => {
    const state = dir('istiod-state-');
    const server = await istiod(state);
    const ca = caEndpoint(server);
    const csr = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: FOO });

    const asBar = await requestCertificate({ ...ca, csr, token: await joinToken(state, 'default', 'bar') });
    expect(asBar.error?.code).toBe(status.PERMISSION_DENIED);
    expect(asBar.error?.details).toContain('spiffe://cluster.local/ns/default/sa/bar');
    expect(asBar.error?.details).toContain(FOO);

    const expired = await requestCertificate({
      ...ca,
      csr,
      token: await joinToken(state, 'default', 'foo', 60, new Date(Date.now() - 3600_000)),
    });
    expect(expired.error?.code).toBe(status.UNAUTHENTICATED);
    expect(expired.error?.details).toContain('expired');

    const token = await joinToken(state, 'default', 'foo');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        sub: FOO.replace('foo', 'admin'),
      }),
    ).toString('base64url');
    const tampered = await requestCertificate({ ...ca, csr, token: `${header}.${forged}.${signature}` });
    expect(tampered.error?.code).toBe(status.UNAUTHENTICATED);
    expect(tampered.error?.details).toMatch(/signature/i);

    const otherKeyState = dir('other-state-');
    const other = await istiod(otherKeyState);
    expect(other.ports.xds).not.toBe(server.ports.xds);
    const foreign = await requestCertificate({
      ...ca,
      csr,
      token: await joinToken(otherKeyState, 'default', 'foo'),
    });
    expect(foreign.error?.code).toBe(status.UNAUTHENTICATED);

    const none = await requestCertificate({ ...ca, csr });
    expect(none.error?.code).toBe(status.UNAUTHENTICATED);
    expect(none.error?.details).toContain('no credentials');
  });

  it('renews with a valid workload certificate over mTLS and refuses an expired one', async () => {
    const state = dir('istiod-state-');
    const server = await istiod(state);
    const key = generateKeyPair();
    const csr = createCsr({ privateKey: key.privateKeyPem, identity: FOO });
    const first = await requestCertificate({
      ...caEndpoint(server),
      csr,
      token: await joinToken(state, 'default', 'foo'),
    });
    const rootPem = first.chain!.at(-1)!;
    const mtls = (chain: string[]) =>
      grpcCredentials.createSsl(
        Buffer.from(rootPem),
        Buffer.from(key.privateKeyPem),
        Buffer.from(chain.slice(0, -1).join('')),
      );
    const secure = `127.0.0.1:${server.ports.secureXds}`;

    const renewed = await requestCertificate({
      address: secure,
      csr,
      credentials: mtls(first.chain!),
      serverName: 'istiod.istio-system.svc',
    });
    expect(renewed.error).toBeUndefined();
    expect(renewed.chain![0]).not.toBe(first.chain![0]);

    const stale = server.ca.issueWorkloadCertificate({ csrPem: csr, identity: FOO, ttlSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // let it expire
    const refused = await requestCertificate({
      address: secure,
      csr,
      credentials: mtls(stale.chainPem),
      serverName: 'istiod.istio-system.svc',
    });
    expect(refused.error?.code).toBe(status.UNAUTHENTICATED);
    expect(refused.error?.details).toMatch(
      /valid workload certificate \(expired or untrusted certificates are not accepted\)/,
    );

    // The same renewal with someone else's identity in the CSR is refused.
    const otherCsr = createCsr({ privateKey: key.privateKeyPem, identity: FOO.replace('foo', 'bar') });
    const denied = await requestCertificate({
      address: secure,
      csr: otherCsr,
      credentials: mtls(first.chain!),
      serverName: 'istiod.istio-system.svc',
    });
    expect(denied.error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('serves the CA only on the TLS port: the plaintext port does not know the service', async () => {
    const state = dir('istiod-state-');
    const server = await istiod(state);
    const request = {
      csr: createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: FOO }),
      token: await joinToken(state, 'default', 'foo'),
    };
    const plaintext = await requestCertificate({ address: `127.0.0.1:${server.ports.xds}`, ...request });
    expect(plaintext.error?.code).toBe(status.UNIMPLEMENTED);
    const secure = await requestCertificate({ ...caEndpoint(server), ...request });
    expect(secure.error).toBeUndefined();
  });

  it('caps a requested TTL above the maximum instead of refusing it', async () => {
    const state = dir('istiod-state-');
    const server = await istiod(state, ['--max-workload-cert-ttl', '48h']);
    const result = await requestCertificate({
      ...caEndpoint(server),
      csr: createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: FOO }),
      token: await joinToken(state, 'default', 'foo'),
      ttlSeconds: 365 * 24 * 3600,
    });
    expect(validitySeconds(opensslCheck(result.chain!).text)).toBe(48 * 3600 + 60);
  });
});

describe('root persistence', () => {
  it('keeps the same self-signed root across restarts, with a 0600 key file', async () => {
    const state = dir('istiod-state-');
    const first = await istiod(state);
    const rootPem = first.ca.root.pem;
    await first.close();
    running.splice(running.indexOf(first), 1);
    const second = await istiod(state);
    expect(second.ca.root.pem).toBe(rootPem);
    expect(statSync(join(state, STATE_FILES.rootKey)).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, STATE_FILES.joinTokenKey)).mode & 0o777).toBe(0o600);
    expect(second.ca.root.x509.validTo).toBe(first.ca.root.x509.validTo);
    const years =
      (second.ca.root.notAfter.getTime() - second.ca.root.notBefore.getTime()) / (365 * 24 * 3600_000);
    expect(Math.round(years)).toBe(10);
  });

  it('refuses to start on a plug-in CA whose key does not match its certificate', async () => {
    const caDir = dir('cacerts-');
    mkdirSync(caDir, { recursive: true });
    const files = createSelfSignedRoot({ trustDomain: 'cluster.local' }).toCacertsFiles();
    for (const name of Object.values(PLUG_IN_CA_FILES)) writeFileSync(join(caDir, name), files[name]);
    writeFileSync(join(caDir, PLUG_IN_CA_FILES.caKey), generateKeyPair().privateKeyPem);
    await expect(startTestIstiod(dir('istiod-state-'), ['--ca-dir', caDir])).rejects.toThrow(
      /plug-in CA in .* is unusable: .*key/i,
    );
  });
});
