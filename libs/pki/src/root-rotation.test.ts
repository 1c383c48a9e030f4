import { describe, expect, it } from 'vitest';

import { withOpenssl } from '../test/openssl.js';
import { createCsr } from './csr.js';
import { generateKeyPair } from './keys.js';
import { createIntermediate, createSelfSignedRoot } from './root-ca.js';
import { rootRotationDecision, rotateSelfSignedRoot, unexpiredRoots } from './root-rotation.js';

const IDENTITY = 'spiffe://cluster.local/ns/default/sa/frontend';
const DAY = 24 * 3600;
const start = new Date('2030-01-01T00:00:00Z');
const at = (days: number) => new Date(start.getTime() + days * DAY * 1000);
const csrPem = () => createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: IDENTITY });

describe('rootRotationDecision (Istio GetWaitTime with the grace period percentage)', () => {
  // 100 days, backdated by the 60 s clock skew: the last 20% begins just before day 80.
  const root = createSelfSignedRoot({
    trustDomain: 'cluster.local',
    ttlSeconds: 100 * DAY,
    now: start,
  }).certificate;
  const decide = (days: number, gracePeriodPercentage = 20) =>
    rootRotationDecision({ root, now: at(days), gracePeriodPercentage });

  it('is not due before the grace period and says when it will be', () => {
    const decision = decide(79);
    expect(decision.due).toBe(false);
    expect(Math.round((decision.dueAt.getTime() - start.getTime()) / 1000 / DAY)).toBe(80);
    expect(decision.reason).toContain('rotation is due at');
  });

  it('is due within the last grace-period percent of the lifetime, and once expired', () => {
    expect(decide(80.1)).toMatchObject({ due: true, reason: expect.stringContaining('last 20%') });
    expect(decide(101)).toMatchObject({ due: true, reason: expect.stringContaining('expired') });
    expect(decide(49, 50).due).toBe(false);
    expect(decide(51, 50).due).toBe(true);
  });

  it('refuses a percentage outside [0, 100]', () => {
    expect(() => decide(1, 120)).toThrow(expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }));
  });
});

describe('rotateSelfSignedRoot', () => {
  const old = createSelfSignedRoot({
    trustDomain: 'cluster.local',
    ttlSeconds: 100 * DAY,
    now: start,
    defaultWorkloadTtlSeconds: 3600,
  });
  const issuedByOld = old.issueWorkloadCertificate({ csrPem: csrPem(), identity: IDENTITY, now: at(85) });
  const rotated = rotateSelfSignedRoot(old, { ttlSeconds: 365 * DAY, now: at(85) });

  it('keeps the key and the subject, renews the validity, and keeps the issuing options', () => {
    expect(rotated.certificate.pem).not.toBe(old.certificate.pem);
    expect(rotated.privateKeyPem).toBe(old.privateKeyPem);
    expect(rotated.certificate.subjectDer.equals(old.certificate.subjectDer)).toBe(true);
    expect(rotated.certificate.subjectKeyIdentifier).toEqual(old.certificate.subjectKeyIdentifier);
    expect(rotated.certificate.notAfter.getTime()).toBe(at(85 + 365).getTime());
    expect(rotated.defaultWorkloadTtlSeconds).toBe(3600);
  });

  it('publishes the new root first and the old one while it is valid', () => {
    expect(rotated.trustBundle.roots.map((r) => r.pem)).toEqual([
      rotated.certificate.pem,
      old.certificate.pem,
    ]);
    expect(unexpiredRoots(rotated.trustBundle.roots, at(101)).map((r) => r.pem)).toEqual([
      rotated.certificate.pem,
    ]);
    // Rotating again after the old root expired drops it.
    const again = rotateSelfSignedRoot(rotated, { ttlSeconds: 365 * DAY, now: at(120) });
    expect(again.trustBundle.roots.map((r) => r.pem)).toEqual([
      again.certificate.pem,
      rotated.certificate.pem,
    ]);
  });

  it('certificates of either root verify under the other, as openssl judges it', () => {
    const issuedByNew = rotated.issueWorkloadCertificate({
      csrPem: csrPem(),
      identity: IDENTITY,
      now: at(85),
    });
    withOpenssl((openssl) => {
      openssl.file('old.pem', old.certificate.pem);
      openssl.file('new.pem', rotated.certificate.pem);
      openssl.file('by-old.pem', issuedByOld.certificatePem);
      openssl.file('by-new.pem', issuedByNew.certificatePem);
      const verify = (root: string, leaf: string) =>
        openssl.run(['verify', '-attime', String(at(85).getTime() / 1000 + 60), '-CAfile', root, leaf]);
      expect(verify('new.pem', 'by-old.pem')).toContain('OK');
      expect(verify('old.pem', 'by-new.pem')).toContain('OK');
    });
  });

  it('refuses to rotate a CA that is not a self-signed root (a plug-in intermediate)', () => {
    const intermediate = createIntermediate({ parent: old, now: at(1), ttlSeconds: 10 * DAY });
    expect(() => rotateSelfSignedRoot(intermediate, { now: at(2) })).toThrow(
      expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }),
    );
  });
});
