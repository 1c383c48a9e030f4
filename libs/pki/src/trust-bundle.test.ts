import { beforeAll, describe, expect, it } from 'vitest';

import type { CertificateAuthority, IssuedCertificate } from './certificate-authority.js';
import { createCsr } from './csr.js';
import { generateKeyPair } from './keys.js';
import { decodePemBlocks, encodePem } from './pem.js';
import { createIntermediate, createSelfSignedRoot } from './root-ca.js';
import { TrustBundle } from './trust-bundle.js';

const IDENTITY = 'spiffe://cluster.local/ns/default/sa/frontend';
const expectCode = (code: string) => expect.objectContaining({ code });
const csrPem = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: IDENTITY });

describe('TrustBundle', () => {
  let oldRoot: CertificateAuthority;
  let newRoot: CertificateAuthority;
  let fromOld: IssuedCertificate;
  let fromNew: IssuedCertificate;
  beforeAll(() => {
    oldRoot = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm: 'RSA_2048' });
    newRoot = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    fromOld = oldRoot.issueWorkloadCertificate({ csrPem, identity: IDENTITY });
    fromNew = createIntermediate({ parent: newRoot }).issueWorkloadCertificate({
      csrPem,
      identity: IDENTITY,
    });
  });

  it('reads concatenated PEM, drops duplicates, keeps order and writes it back', () => {
    const pem = `# roots\r\n${oldRoot.certificate.pem}${newRoot.certificate.pem.replace(/\n/g, '\r\n')}${oldRoot.certificate.pem}`;
    const bundle = TrustBundle.fromPem(pem);
    expect(bundle.size).toBe(2);
    expect(bundle.toPem()).toBe(oldRoot.certificate.pem + newRoot.certificate.pem);
    expect(bundle.has(newRoot.certificate.pem)).toBe(true);
    expect(TrustBundle.fromPem(bundle.toPem()).toPem()).toBe(bundle.toPem());
  });

  it('with two roots verifies certificates issued under either of them', () => {
    const bundle = TrustBundle.fromPem(oldRoot.certificate.pem + newRoot.certificate.pem);
    expect(bundle.verifyChain(fromOld.chainPem).root.pem).toBe(oldRoot.certificate.pem);
    const verified = bundle.verifyChain(fromNew.chainPem);
    expect(verified.root.pem).toBe(newRoot.certificate.pem);
    expect(verified.path).toHaveLength(3);
    expect(verified.leaf.uris).toEqual([IDENTITY]);
  });

  it('merges bundles, as a root rotation does', () => {
    const merged = oldRoot.trustBundle.merge(newRoot.trustBundle).merge(oldRoot.trustBundle);
    expect(merged.size).toBe(2);
    expect(merged.verifyChain(fromNew.chainPem).root.pem).toBe(newRoot.certificate.pem);
  });

  it('does not trust a certificate from another root', () => {
    expect(() => oldRoot.trustBundle.verifyChain(fromNew.chainPem)).toThrow(
      expect.objectContaining({
        code: 'PKI_UNTRUSTED_CHAIN',
        message: expect.stringContaining('O=cluster.local'),
      }),
    );
    expect(() => newRoot.trustBundle.verifyChain(fromOld.chainPem)).toThrow(
      expectCode('PKI_UNTRUSTED_CHAIN'),
    );
  });

  it('accepts a chain that stops short of the root, and a single concatenated PEM', () => {
    expect(newRoot.trustBundle.verifyChain(fromNew.chainPem.slice(0, 2)).path).toHaveLength(3);
    expect(newRoot.trustBundle.verifyChain(fromNew.chainPem.join('')).root.pem).toBe(newRoot.certificate.pem);
  });

  it('refuses a chain without its intermediate, out of order, or with a forged signature', () => {
    const [leaf, intermediate, root] = fromNew.chainPem as [string, string, string];
    expect(() => newRoot.trustBundle.verifyChain([leaf, root])).toThrow(expectCode('PKI_UNTRUSTED_CHAIN'));
    expect(() => newRoot.trustBundle.verifyChain([intermediate, leaf])).toThrow(
      expectCode('PKI_UNTRUSTED_CHAIN'),
    );
    const der = Buffer.from(decodePemBlocks(leaf)[0]!.der);
    der[der.length - 1]! ^= 0x01;
    const forged = encodePem('CERTIFICATE', der);
    expect(() => newRoot.trustBundle.verifyChain([forged, intermediate])).toThrow(
      expectCode('PKI_UNTRUSTED_CHAIN'),
    );
  });

  it('checks validity at the given time', () => {
    const bundle = oldRoot.trustBundle;
    expect(() =>
      bundle.verifyChain(fromOld.chainPem, { now: new Date(fromOld.notAfter.getTime() + 1000) }),
    ).toThrow(expectCode('PKI_EXPIRED'));
    expect(() =>
      bundle.verifyChain(fromOld.chainPem, { now: new Date(fromOld.notBefore.getTime() - 1000) }),
    ).toThrow(expectCode('PKI_NOT_YET_VALID'));
  });

  it('refuses non-CA certificates as roots and empty input', () => {
    expect(() => TrustBundle.fromPem(fromOld.certificatePem)).toThrow(expectCode('PKI_NOT_A_CA'));
    expect(() => TrustBundle.fromPem('')).toThrow(expectCode('PKI_INVALID_PEM'));
    expect(() => oldRoot.trustBundle.verifyChain([])).toThrow(expectCode('PKI_INVALID_ARGUMENT'));
  });
});
