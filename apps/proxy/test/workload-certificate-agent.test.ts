import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';

import { Server, ServerCredentials } from '@grpc/grpc-js';
import { parseCertificate, splitCertificatePem, type KeyAlgorithm } from '@mesh/pki';
import { afterEach, describe, expect, it } from 'vitest';

import {
  AgentError,
  WorkloadCertificateAgent,
  type RenewalFailure,
  type WorkloadCertificate,
  type WorkloadCertificateAgentOptions,
} from '../src/agent/index.js';
import { ManualClock, TestCa, TOKEN, WORKLOAD } from './ca-test-server.js';

const IDENTITY = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'frontend' };
const HOUR = 3600;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startCa(clock?: ManualClock): Promise<TestCa> {
  const ca = await TestCa.start(clock ? () => new Date(clock.now()) : undefined);
  cleanups.push(() => ca.close());
  return ca;
}

function agentFor(
  ca: TestCa,
  options: Partial<WorkloadCertificateAgentOptions> = {},
): WorkloadCertificateAgent {
  const agent = new WorkloadCertificateAgent({
    caAddress: ca.plaintextAddress,
    renewalAddress: ca.secureAddress,
    identity: IDENTITY,
    token: () => TOKEN,
    ttlSeconds: HOUR,
    random: () => 0.5,
    backoff: { initialMs: 10, maxMs: 40 },
    ...options,
  });
  cleanups.push(() => agent.stop());
  return agent;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe.each(['ECDSA_P256', 'RSA_2048'] as KeyAlgorithm[])(
  'first issuance with a %s key',
  (keyAlgorithm) => {
    it('obtains a certificate for exactly our identity and keeps the key in a 0600 file', async () => {
      const ca = await startCa();
      const keyFile = join(tempDir(), 'key.pem');
      writeFileSync(keyFile, 'stale', { mode: 0o644 });
      const agent = agentFor(ca, { keyAlgorithm, keyFile });
      const issued = once(agent, 'issued') as Promise<[WorkloadCertificate]>;

      const material = await agent.start();

      expect((await issued)[0]).toBe(material);
      expect(agent.current()).toBe(material);
      const leaf = parseCertificate(splitCertificatePem(material.certificateChainPem)[0]!);
      expect(leaf.uris).toEqual([WORKLOAD]);
      expect(leaf.serialNumber).toBe(material.serial);
      expect(material.notAfter.getTime() - material.notBefore.getTime()).toBe(HOUR * 1000);
      expect(new X509Certificate(leaf.pem).checkPrivateKey(createPrivateKey(material.privateKeyPem))).toBe(
        true,
      );
      expect(material.privateKeyPem).toMatch(/BEGIN PRIVATE KEY/);
      expect(agent.trustBundle()!.verifyChain(material.certificateChainPem).leaf.serialNumber).toBe(
        material.serial,
      );
      expect(agent.trustBundle()!.has(ca.ca.root)).toBe(true);
      expect(material.rootsPem).toBe(ca.ca.root.pem);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8')).toBe(material.privateKeyPem);
      expect(ca.calls).toEqual([{ port: 'plaintext', credential: 'token', identity: WORKLOAD }]);
      expect(material.via).toBe('token');
    });
  },
);

describe('WorkloadCertificateAgent', () => {
  it('renews at half the lifetime over mTLS with the current certificate and a new key', async () => {
    const clock = new ManualClock();
    const ca = await startCa(clock);
    let tokenReads = 0;
    const agent = agentFor(ca, { clock, token: () => (tokenReads++, TOKEN) });
    const first = await agent.start();
    // Half of the hour from notBefore, which X.509 keeps in whole seconds.
    const [delay] = clock.pending();
    expect(clock.now() - first.notBefore.getTime()).toBeLessThan(1000);
    expect(delay).toBe(first.notBefore.getTime() + HOUR * 500 - clock.now());

    clock.advance(delay! - 1);
    expect(ca.calls).toHaveLength(1);
    const renewed = once(agent, 'issued') as Promise<[WorkloadCertificate]>;
    clock.advance(1);
    const [second] = await renewed;

    expect(second.via).toBe('certificate');
    expect(ca.calls.at(-1)).toEqual({ port: 'secure', credential: 'certificate', identity: WORKLOAD });
    expect(tokenReads).toBe(1);
    expect(second.serial).not.toBe(first.serial);
    expect(second.privateKeyPem).not.toBe(first.privateKeyPem);
    expect(agent.current()).toBe(second);
    expect(second.rootChanged).toBe(false);
    expect(clock.pending()).toEqual([second.notBefore.getTime() + HOUR * 500 - clock.now()]);
  });

  it('keeps the current certificate while the CA is down, backing off up to the cap, then recovers', async () => {
    const clock = new ManualClock();
    const ca = await startCa(clock);
    const agent = agentFor(ca, { clock, backoff: { initialMs: 1000, maxMs: 8000, jitter: 0.2 } });
    const first = await agent.start();
    ca.unavailable = true;

    const retries: number[] = [];
    let advance = HOUR * 500;
    for (let i = 0; i < 5; i++) {
      const failed = once(agent, 'renewal-failed') as Promise<[RenewalFailure]>;
      clock.advance(advance);
      const [failure] = await failed;
      expect(failure.error).toBeInstanceOf(AgentError);
      expect(failure.error.message).toMatch(
        /current certificate failed .*UNAVAILABLE.*with the token: .*UNAVAILABLE/,
      );
      expect(failure.failures).toBe(i + 1);
      expect(agent.current()).toBe(first);
      retries.push(failure.retryInMs);
      advance = failure.retryInMs;
    }
    expect(retries).toEqual([1000, 2000, 4000, 8000, 8000]);

    ca.unavailable = false;
    const recovered = once(agent, 'issued') as Promise<[WorkloadCertificate]>;
    clock.advance(advance);
    const [next] = await recovered;
    expect(next.serial).not.toBe(first.serial);
    expect(next.via).toBe('certificate');
    expect(clock.pending()).toHaveLength(1);
    expect(clock.pending()[0]).toBeGreaterThan(HOUR * 400);
  });

  it('refuses a certificate for another identity and retries', async () => {
    const ca = await startCa();
    const admin = 'spiffe://cluster.local/ns/default/sa/admin';
    ca.misissue = { as: admin, times: 2 };
    const agent = agentFor(ca, { startAttempts: 2 });
    const error = (await agent.start().catch((e: unknown) => e)) as AgentError;
    expect(error.code).toBe('AGENT_START_FAILED');
    expect(error.message).toContain(ca.plaintextAddress);
    expect(error.message).toContain(`"${admin}" but we asked for`);
    expect((error.cause as AgentError).code).toBe('AGENT_WRONG_CERTIFICATE');
    expect(ca.calls).toHaveLength(2);
    expect(agent.current()).toBeUndefined();

    ca.misissue = { as: admin, times: 1 };
    const material = await agentFor(ca, { startAttempts: 3 }).start();
    expect(ca.calls).toHaveLength(4);
    expect(parseCertificate(splitCertificatePem(material.certificateChainPem)[0]!).uris).toEqual([WORKLOAD]);
  });

  it('rejects start() with the CA address and the last failure when nothing answers', async () => {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    server.forceShutdown();
    const address = `127.0.0.1:${port}`;
    const agent = new WorkloadCertificateAgent({
      caAddress: address,
      identity: IDENTITY,
      token: () => TOKEN,
      startAttempts: 2,
      backoff: { initialMs: 10, maxMs: 10 },
    });
    cleanups.push(() => agent.stop());
    await expect(agent.start()).rejects.toThrow(
      new RegExp(`after 2 attempt\\(s\\); last failure: CreateCertificate at ${address} .*UNAVAILABLE`),
    );
  });

  it('adopts a new root announced over mTLS, keeping the old root trusted', async () => {
    const clock = new ManualClock();
    const ca = await startCa(clock);
    const agent = agentFor(ca, { clock });
    await agent.start();
    const oldRoot = ca.ca.root;
    const newRoot = ca.rotateRoot().root;

    const renewed = once(agent, 'issued') as Promise<[WorkloadCertificate]>;
    clock.advance(HOUR * 500);
    const [material] = await renewed;

    expect(material.via).toBe('certificate');
    expect(material.rootChanged).toBe(true);
    expect(agent.trustBundle()!.roots.map((r) => r.fingerprint256)).toEqual([
      newRoot.fingerprint256,
      oldRoot.fingerprint256,
    ]);
    expect(material.rootsPem).toBe(newRoot.pem + oldRoot.pem);
    const at = { now: new Date(clock.now()) };
    expect(agent.trustBundle()!.verifyChain(material.certificateChainPem, at).root.fingerprint256).toBe(
      newRoot.fingerprint256,
    );
  });

  it('refuses a new root that arrives over the token fallback', async () => {
    const clock = new ManualClock();
    const ca = await startCa(clock);
    const agent = agentFor(ca, { clock });
    const first = await agent.start();
    ca.rotateRoot();
    ca.refuseCertificates = true;

    const failed = once(agent, 'renewal-failed') as Promise<[RenewalFailure]>;
    clock.advance(HOUR * 500);
    const [failure] = await failed;

    expect((failure.error as AgentError).code).toBe('AGENT_UNTRUSTED_CHAIN');
    expect(failure.error.message).toMatch(/UNAUTHENTICATED.*with the token: .*not among the trusted roots/);
    expect(ca.calls.at(-1)!.credential).toBe('token');
    expect(agent.current()).toBe(first);
    expect(agent.trustBundle()!.size).toBe(1);
  });

  it('stop() ends a start() that is waiting to retry', async () => {
    const ca = await startCa();
    ca.unavailable = true;
    const agent = agentFor(ca, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    const started = agent.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    agent.stop();
    await expect(started).rejects.toMatchObject({ code: 'AGENT_STOPPED' });
  });
});
