import { createPublicKey } from 'node:crypto';

import { createCsr, createIntermediate, generateKeyPair, type CertificateAuthority } from '@mesh/pki';
import { describe, expect, it } from 'vitest';

import { verifyIssuedChain, type IssuedChainCheck } from '../src/agent/index.js';
import { TestCa, WORKLOAD } from './ca-test-server.js';

const now = new Date();
const key = generateKeyPair();
const publicKeyInfo = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' });

function issue(ca: CertificateAuthority, privateKeyPem = key.privateKeyPem): string[] {
  const csrPem = createCsr({ privateKey: privateKeyPem, identity: WORKLOAD });
  return ca.issueWorkloadCertificate({ csrPem, identity: WORKLOAD, ttlSeconds: 3600, now }).chainPem;
}

function check(chainPem: string[], extra: Partial<IssuedChainCheck> = {}) {
  return verifyIssuedChain({
    chainPem,
    identity: WORKLOAD,
    publicKeyInfo,
    now,
    acceptNewRoot: false,
    ...extra,
  });
}

describe('verifyIssuedChain', () => {
  const root = TestCa.newRoot('Root A', now);

  it('accepts a chain through an intermediate and returns it without the root', () => {
    const intermediate = createIntermediate({ parent: root, now });
    const result = check(issue(intermediate), { trustBundle: root.trustBundle });
    expect(result.certificates.map((c) => c.subject)).toEqual(['', intermediate.certificate.subject]);
    expect(result.root.fingerprint256).toBe(root.root.fingerprint256);
    expect(result.rootChanged).toBe(false);
  });

  it('refuses a certificate for another key', () => {
    const other = generateKeyPair();
    expect(() => check(issue(root, other.privateKeyPem))).toThrow(
      expect.objectContaining({
        code: 'AGENT_WRONG_CERTIFICATE',
        message: expect.stringMatching(/public key/),
      }),
    );
  });

  it('refuses a chain without its root, with a broken link, or that has expired', () => {
    const chain = issue(root);
    expect(() => check(chain.slice(0, 1))).toThrow(
      expect.objectContaining({ code: 'AGENT_UNTRUSTED_CHAIN' }),
    );
    const stranger = TestCa.newRoot('Root B', now);
    expect(() => check([chain[0]!, stranger.root.pem])).toThrow(
      expect.objectContaining({ code: 'AGENT_UNTRUSTED_CHAIN' }),
    );
    expect(() => check(chain, { now: new Date(now.getTime() + 7200_000) })).toThrow(
      /does not verify.*expired/,
    );
  });

  it('accepts an unknown root only when told the channel authenticated the CA', () => {
    const other = TestCa.newRoot('Root B', now);
    expect(() => check(issue(other), { trustBundle: root.trustBundle })).toThrow(
      /not among the trusted roots/,
    );
    expect(check(issue(other), { trustBundle: root.trustBundle, acceptNewRoot: true }).rootChanged).toBe(
      true,
    );
  });
});
