import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';

import { beforeAll, describe, expect, it } from 'vitest';

import { withOpenssl } from '../test/openssl.js';
import { CertificateAuthority } from './certificate-authority.js';
import { parseCertificate } from './certificate-info.js';
import { createCsr } from './csr.js';
import { generateKeyPair, type KeyAlgorithm } from './keys.js';
import { createIntermediate, createSelfSignedRoot } from './root-ca.js';

const IDENTITY = 'spiffe://cluster.local/ns/default/sa/frontend';
const HOUR = 3600;
const DAY = 24 * HOUR;

/** openssl's `notBefore=Nov 21 01:16:47 2026 GMT` lines as epoch milliseconds. */
function opensslDates(text: string): { notBefore: number; notAfter: number } {
  const pick = (name: string) => Date.parse(new RegExp(`${name}=(.+)`).exec(text)![1]!);
  return { notBefore: pick('notBefore'), notAfter: pick('notAfter') };
}

describe.each(['ECDSA_P256', 'RSA_2048'] as const)('a %s CA', (algorithm: KeyAlgorithm) => {
  const setups = {
    'self-signed root': () => {
      const root = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm });
      return { root, ca: root };
    },
    'plug-in CA (root -> intermediate)': () => {
      const root = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm });
      const intermediate = createIntermediate({ parent: root, algorithm });
      const ca = CertificateAuthority.fromPem({
        certPem: intermediate.toCacertsFiles()['ca-cert.pem'],
        keyPem: intermediate.toCacertsFiles()['ca-key.pem'],
        certChainPem: intermediate.toCacertsFiles()['cert-chain.pem'],
        rootCertPem: intermediate.toCacertsFiles()['root-cert.pem'],
      });
      return { root, ca };
    },
  };

  describe.each(Object.keys(setups) as (keyof typeof setups)[])('as a %s', (setup) => {
    let root: CertificateAuthority;
    let ca: CertificateAuthority;
    beforeAll(() => ({ root, ca } = setups[setup]()));

    it('issues a workload certificate that openssl verifies and describes as Istio would', () => {
      const key = generateKeyPair(algorithm);
      const csrPem = createCsr({ privateKey: key.privateKeyPem, identity: IDENTITY });
      const before = Date.now();
      const issued = ca.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds: 12 * HOUR });

      expect(issued.chainPem[0]).toBe(issued.certificatePem);
      expect(issued.chainPem.at(-1)).toBe(root.certificate.pem);
      expect(issued.chainPem).toHaveLength(setup === 'self-signed root' ? 2 : 3);
      for (const pem of issued.chainPem) expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[^]*-----\n$/);

      withOpenssl((openssl) => {
        openssl.file('root.pem', root.certificate.pem);
        openssl.file('chain.pem', issued.chainPem.slice(1).join(''));
        openssl.file('leaf.pem', issued.certificatePem);
        const verify = ['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem'];
        expect(openssl.run([...verify, 'leaf.pem'])).toContain('leaf.pem: OK');
        expect(openssl.run([...verify, '-purpose', 'sslclient', 'leaf.pem'])).toContain('OK');
        expect(openssl.run([...verify, '-purpose', 'sslserver', 'leaf.pem'])).toContain('OK');
        expect(openssl.attempt(['verify', '-CAfile', 'leaf.pem', 'leaf.pem']).status).not.toBe(0);

        const text = openssl.run(['x509', '-text', '-noout', '-in', 'leaf.pem']);
        expect(text).toMatch(
          /Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/frontend\n/,
        );
        expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
        expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
        expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
        expect(text).toMatch(/Subject: *\n/);
        expect(text).toContain('Version: 3 (0x2)');
        expect(text).toContain(algorithm === 'RSA_2048' ? 'sha256WithRSAEncryption' : 'ecdsa-with-SHA256');
        const authorityKeyId = /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)![1];
        const caText = openssl.run(['x509', '-text', '-noout', '-in', 'chain.pem']);
        expect(caText).toContain(`Subject Key Identifier: \n                ${authorityKeyId}`);

        const dates = opensslDates(
          openssl.run(['x509', '-noout', '-startdate', '-enddate', '-in', 'leaf.pem']),
        );
        expect(dates.notAfter - dates.notBefore).toBe((12 * HOUR + 60) * 1000);
        expect(Math.abs(dates.notAfter - (before + 12 * HOUR * 1000))).toBeLessThan(5000);
      });

      const leaf = new X509Certificate(issued.certificatePem);
      const issuer = new X509Certificate(issued.chainPem[1]!);
      expect(leaf.checkIssued(issuer)).toBe(true);
      expect(leaf.verify(issuer.publicKey)).toBe(true);
      expect(leaf.checkPrivateKey(createPrivateKey(key.privateKeyPem))).toBe(true);
      expect(leaf.subjectAltName).toBe(`URI:${IDENTITY}`);
      expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      expect(leaf.ca).toBe(false);
      expect(leaf.serialNumber.toLowerCase()).toMatch(new RegExp(`^0*${issued.serialNumber}$`));
      expect(ca.trustBundle.verifyChain(issued.chainPem).root.pem).toBe(root.certificate.pem);
    });

    it('issues certificates two workloads can use for mutual TLS (OpenSSL through node:tls)', async () => {
      const credentials = (identity: string) => {
        const key = generateKeyPair(algorithm);
        const csr = createCsr({ privateKey: key.privateKeyPem, identity });
        const issued = ca.issueWorkloadCertificate({ csrPem: csr, identity });
        // A peer sends its leaf and intermediates; the root comes from the trust bundle.
        return {
          key: key.privateKeyPem,
          cert: issued.chainPem.slice(0, -1).join(''),
          ca: root.trustBundle.toPem(),
        };
      };
      const server = createServer(
        { ...credentials(IDENTITY), requestCert: true, rejectUnauthorized: true },
        (socket) => socket.end(socket.getPeerCertificate().subjectaltname ?? 'none'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        const client = connect({
          ...credentials('spiffe://cluster.local/ns/default/sa/backend'),
          host: '127.0.0.1',
          port,
          checkServerIdentity: (_, peer) =>
            peer.subjectaltname === `URI:${IDENTITY}`
              ? undefined
              : new Error(`unexpected ${peer.subjectaltname}`),
        });
        const chunks: Buffer[] = [];
        for await (const chunk of client) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks).toString()).toBe('URI:spiffe://cluster.local/ns/default/sa/backend');
      } finally {
        server.close();
      }
    });

    it('refuses a CSR for another identity, naming both identities', () => {
      const csrPem = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: IDENTITY });
      const identity = 'spiffe://cluster.local/ns/default/sa/backend';
      expect(() => ca.issueWorkloadCertificate({ csrPem, identity })).toThrow(
        expect.objectContaining({
          code: 'PKI_IDENTITY_MISMATCH',
          message: expect.stringMatching(/sa\/frontend.*sa\/backend/),
        }),
      );
    });
  });
});

describe('issuing policy', () => {
  let root: CertificateAuthority;
  const csrPem = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: IDENTITY });
  beforeAll(() => {
    root = createSelfSignedRoot({ trustDomain: 'cluster.local' });
  });
  const lifetime = (issued: { notBefore: Date; notAfter: Date }) =>
    (issued.notAfter.getTime() - issued.notBefore.getTime()) / 1000 - 60;

  it('caps a TTL above the maximum instead of refusing it (default max 90 days)', () => {
    expect(
      lifetime(root.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds: 365 * DAY })),
    ).toBe(90 * DAY);
    const strict = CertificateAuthority.fromPem({
      certPem: root.certificate.pem,
      keyPem: root.privateKeyPem,
      rootCertPem: root.certificate.pem,
      maxWorkloadTtlSeconds: HOUR,
    });
    expect(lifetime(strict.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds: DAY }))).toBe(
      HOUR,
    );
    expect(lifetime(strict.issueWorkloadCertificate({ csrPem, identity: IDENTITY }))).toBe(HOUR);
  });

  it('uses the default TTL (24h) when none or a non-positive one is requested', () => {
    expect(lifetime(root.issueWorkloadCertificate({ csrPem, identity: IDENTITY }))).toBe(DAY);
    expect(lifetime(root.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds: 0 }))).toBe(DAY);
    expect(() => root.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds: NaN })).toThrow(
      expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }),
    );
  });

  it('never issues beyond its own expiry, and not at all once expired', () => {
    const now = new Date();
    const shortLived = createSelfSignedRoot({ trustDomain: 'cluster.local', ttlSeconds: 2 * HOUR, now });
    const issued = shortLived.issueWorkloadCertificate({ csrPem, identity: IDENTITY, ttlSeconds: DAY, now });
    expect(issued.notAfter.getTime()).toBe(shortLived.certificate.notAfter.getTime());
    const later = new Date(now.getTime() + 3 * HOUR * 1000);
    expect(() => shortLived.issueWorkloadCertificate({ csrPem, identity: IDENTITY, now: later })).toThrow(
      expect.objectContaining({ code: 'PKI_EXPIRED' }),
    );
  });

  it('backdates NotBefore by the clock-skew allowance and uses fresh random serials', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const skewed = CertificateAuthority.fromPem({
      certPem: root.certificate.pem,
      keyPem: root.privateKeyPem,
      rootCertPem: root.certificate.pem,
      clockSkewSeconds: 300,
      now,
    });
    const a = skewed.issueWorkloadCertificate({ csrPem, identity: IDENTITY, now });
    const b = skewed.issueWorkloadCertificate({ csrPem, identity: IDENTITY, now });
    expect(a.notBefore.toISOString()).toBe('2029-12-31T23:55:00.000Z');
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.serialNumber.length).toBeGreaterThanOrEqual(30);
  });

  it('refuses requests for several URIs, for a non-SPIFFE identity, and bad CSRs', () => {
    const key = generateKeyPair().privateKeyPem;
    const two = createCsr({
      privateKey: key,
      identity: IDENTITY,
      uris: ['spiffe://cluster.local/ns/a/sa/b'],
    });
    expect(() => root.issueWorkloadCertificate({ csrPem: two, identity: IDENTITY })).toThrow(
      expect.objectContaining({ code: 'PKI_IDENTITY_MISMATCH' }),
    );
    const dnsOnly = createCsr({ privateKey: key, dnsNames: ['frontend.default.svc'] });
    expect(() => root.issueWorkloadCertificate({ csrPem: dnsOnly, identity: IDENTITY })).toThrow(
      expect.objectContaining({
        code: 'PKI_IDENTITY_MISMATCH',
        message: expect.stringContaining('no URI SAN'),
      }),
    );
    expect(() => root.issueWorkloadCertificate({ csrPem, identity: 'frontend' })).toThrow(
      expect.objectContaining({ code: 'PKI_INVALID_SPIFFE_ID' }),
    );
    expect(() => root.issueWorkloadCertificate({ csrPem: 'not a CSR', identity: IDENTITY })).toThrow(
      expect.objectContaining({ code: 'PKI_INVALID_PEM' }),
    );
  });

  it('issues istiod a server certificate for its DNS names and IPs, with its own key or a given one', () => {
    const issued = root.issueServerCertificate({
      dnsNames: ['istiod.istio-system.svc', 'istiod.istio-system.svc.cluster.local'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    const certificate = parseCertificate(issued.certificatePem);
    expect(certificate.dnsNames).toEqual([
      'istiod.istio-system.svc',
      'istiod.istio-system.svc.cluster.local',
    ]);
    expect(certificate.ipAddresses).toEqual(['127.0.0.1', '0:0:0:0:0:0:0:1']);
    expect(certificate.uris).toEqual([]);
    expect(certificate.x509.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    withOpenssl((openssl) => {
      openssl.file('root.pem', root.certificate.pem);
      openssl.file('server.pem', issued.certificatePem);
      const verify = ['verify', '-CAfile', 'root.pem', '-purpose', 'sslserver'];
      expect(openssl.run([...verify, '-verify_hostname', 'istiod.istio-system.svc', 'server.pem'])).toContain(
        'OK',
      );
      expect(openssl.run([...verify, '-verify_ip', '::1', 'server.pem'])).toContain('OK');
      expect(openssl.attempt([...verify, '-verify_hostname', 'evil.example', 'server.pem']).status).not.toBe(
        0,
      );
    });

    const keyPair = generateKeyPair('RSA_2048');
    const withKey = root.issueServerCertificate({ dnsNames: ['istiod.istio-system.svc'], keyPair });
    expect(withKey.privateKeyPem).toBe(keyPair.privateKeyPem);
    expect(
      parseCertificate(withKey.certificatePem).x509.checkPrivateKey(createPrivateKey(keyPair.privateKeyPem)),
    ).toBe(true);
    expect(() => root.issueServerCertificate({ dnsNames: [] })).toThrow(
      expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }),
    );
  });
});
