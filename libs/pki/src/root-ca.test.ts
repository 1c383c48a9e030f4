import { beforeAll, describe, expect, it } from 'vitest';

import { withOpenssl } from '../test/openssl.js';
import { CertificateAuthority } from './certificate-authority.js';
import { createCsr } from './csr.js';
import { generateKeyPair } from './keys.js';
import { createIntermediate, createSelfSignedRoot } from './root-ca.js';

const IDENTITY = 'spiffe://cluster.local/ns/default/sa/frontend';
const YEAR_MS = 365 * 24 * 3600 * 1000;
const expectCode = (code: string) => expect.objectContaining({ code });
const csrPem = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: IDENTITY });

describe('createSelfSignedRoot', () => {
  it('makes a 10-year CA with subject O=<trust domain>, keyCertSign and cRLSign', () => {
    const root = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm: 'RSA_2048' });
    expect(root.certificate).toMatchObject({
      subject: 'O=cluster.local',
      issuer: 'O=cluster.local',
      isCa: true,
      keyUsage: ['keyCertSign', 'cRLSign'],
    });
    expect(root.keyAlgorithm).toBe('RSA_2048');
    const lifetime = root.certificate.notAfter.getTime() - root.certificate.notBefore.getTime();
    expect(Math.round(lifetime / YEAR_MS)).toBe(10);
    expect(root.chainPem).toEqual([root.certificate.pem]);
    withOpenssl((openssl) => {
      openssl.file('root.pem', root.certificate.pem);
      expect(openssl.run(['verify', '-CAfile', 'root.pem', 'root.pem'])).toContain('OK');
      const text = openssl.run(['x509', '-text', '-noout', '-in', 'root.pem']);
      expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
      expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    });
  });

  it('survives persisting as istio-ca-secret (ca-cert.pem + ca-key.pem) and reloading', () => {
    const root = createSelfSignedRoot({ trustDomain: 'example.org', organization: 'Example' });
    const files = root.toCacertsFiles();
    const reloaded = CertificateAuthority.fromPem({
      certPem: files['ca-cert.pem'],
      keyPem: files['ca-key.pem'],
      rootCertPem: files['ca-cert.pem'],
    });
    expect(reloaded.certificate.subject).toBe('O=Example');
    const issued = reloaded.issueWorkloadCertificate({ csrPem, identity: IDENTITY });
    expect(root.trustBundle.verifyChain(issued.chainPem).root.pem).toBe(root.certificate.pem);
  });

  it('refuses an invalid trust domain', () => {
    expect(() => createSelfSignedRoot({ trustDomain: 'Cluster Local' })).toThrow(
      expectCode('PKI_INVALID_SPIFFE_ID'),
    );
  });
});

describe('CertificateAuthority.fromPem (plug-in cacerts)', () => {
  let root: CertificateAuthority;
  let intermediate: CertificateAuthority;
  beforeAll(() => {
    root = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    intermediate = createIntermediate({ parent: root });
  });

  it('loads the files openssl makes the way Istio tools/certs does (PKCS#1 key, chain = ca-cert + root)', () => {
    withOpenssl((openssl) => {
      openssl.run(['genrsa', '-traditional', '-out', 'root-key.pem', '2048']);
      openssl.run([
        'req',
        '-x509',
        '-new',
        '-key',
        'root-key.pem',
        '-subj',
        '/O=Istio/CN=Root CA',
        '-days',
        '3650',
        '-out',
        'root-cert.pem',
      ]);
      openssl.run(['genrsa', '-traditional', '-out', 'ca-key.pem', '2048']);
      openssl.run([
        'req',
        '-new',
        '-key',
        'ca-key.pem',
        '-subj',
        '/O=Istio/CN=Intermediate CA/L=cluster1',
        '-out',
        'ca.csr',
      ]);
      openssl.file(
        'ext.cnf',
        [
          'basicConstraints=critical,CA:true,pathlen:0',
          'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign',
          'subjectKeyIdentifier=hash',
          'authorityKeyIdentifier=keyid',
          'subjectAltName=critical,URI:spiffe://cluster.local/ns/istio-system/sa/citadel',
        ].join('\n'),
      );
      openssl.run([
        'x509',
        '-req',
        '-in',
        'ca.csr',
        '-CA',
        'root-cert.pem',
        '-CAkey',
        'root-key.pem',
        '-CAcreateserial',
        '-days',
        '730',
        '-extfile',
        'ext.cnf',
        '-out',
        'ca-cert.pem',
      ]);
      const caCert = openssl.run(['x509', '-in', 'ca-cert.pem']);
      const rootCert = openssl.run(['x509', '-in', 'root-cert.pem']);
      const ca = CertificateAuthority.fromPem({
        certPem: caCert,
        keyPem: openssl.run(['rsa', '-traditional', '-in', 'ca-key.pem']),
        certChainPem: caCert + rootCert,
        rootCertPem: rootCert,
      });
      expect(ca.certificate.subject).toBe('O=Istio, CN=Intermediate CA, L=cluster1');
      const issued = ca.issueWorkloadCertificate({ csrPem, identity: IDENTITY });
      expect(issued.chainPem.map((pem) => pem === caCert || pem === rootCert)).toEqual([false, true, true]);
      openssl.file('leaf.pem', issued.certificatePem);
      openssl.file('chain.pem', issued.chainPem.slice(1).join(''));
      expect(
        openssl.run(['verify', '-CAfile', 'root-cert.pem', '-untrusted', 'chain.pem', 'leaf.pem']),
      ).toContain('leaf.pem: OK');
    });
  });

  it('refuses a key that does not belong to the certificate', () => {
    const files = intermediate.toCacertsFiles();
    expect(() =>
      CertificateAuthority.fromPem({
        certPem: files['ca-cert.pem'],
        keyPem: generateKeyPair().privateKeyPem,
        certChainPem: files['cert-chain.pem'],
        rootCertPem: files['root-cert.pem'],
      }),
    ).toThrow(
      expect.objectContaining({ code: 'PKI_KEY_MISMATCH', message: expect.stringContaining('ca-key.pem') }),
    );
  });

  it('refuses a certificate that is not a CA', () => {
    const server = root.issueServerCertificate({ dnsNames: ['istiod.istio-system.svc'] });
    expect(() =>
      CertificateAuthority.fromPem({
        certPem: server.certificatePem,
        keyPem: server.privateKeyPem,
        rootCertPem: root.certificate.pem,
      }),
    ).toThrow(expectCode('PKI_NOT_A_CA'));
  });

  it('refuses a CA that does not chain to root-cert.pem', () => {
    const otherRoot = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    const files = intermediate.toCacertsFiles();
    expect(() =>
      CertificateAuthority.fromPem({
        certPem: files['ca-cert.pem'],
        keyPem: files['ca-key.pem'],
        certChainPem: files['cert-chain.pem'],
        rootCertPem: otherRoot.certificate.pem,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'PKI_UNTRUSTED_CHAIN',
        message: expect.stringContaining('root-cert.pem'),
      }),
    );
  });

  it('needs every intermediate of a deeper chain in cert-chain.pem, and returns them all in order', () => {
    const second = createIntermediate({ parent: intermediate, commonName: 'Cluster CA' });
    const files = second.toCacertsFiles();
    const [caCert, middle, rootCert] = second.chainPem;
    expect(middle).toBe(intermediate.certificate.pem);
    const load = (certChainPem: string) =>
      CertificateAuthority.fromPem({
        certPem: caCert!,
        keyPem: files['ca-key.pem'],
        certChainPem,
        rootCertPem: rootCert!,
      });
    expect(() => load(caCert! + rootCert!)).toThrow(expectCode('PKI_UNTRUSTED_CHAIN'));
    const issued = load(files['cert-chain.pem']).issueWorkloadCertificate({ csrPem, identity: IDENTITY });
    expect(issued.chainPem.slice(1)).toEqual([caCert, middle, rootCert]);
    withOpenssl((openssl) => {
      openssl.file('root.pem', rootCert!);
      openssl.file('chain.pem', issued.chainPem.slice(1, -1).join(''));
      openssl.file('leaf.pem', issued.certificatePem);
      expect(openssl.run(['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'leaf.pem'])).toContain(
        'OK',
      );
    });
  });

  it('honours pathLen 0: such a CA signs workloads but no further CA', () => {
    const leafOnly = createIntermediate({ parent: root, pathLength: 0 });
    expect(leafOnly.certificate.pathLength).toBe(0);
    expect(leafOnly.issueWorkloadCertificate({ csrPem, identity: IDENTITY }).chainPem).toHaveLength(3);
    expect(() => createIntermediate({ parent: leafOnly })).toThrow(expectCode('PKI_NOT_A_CA'));
  });

  it('accepts a root-cert.pem with two roots during root rotation', () => {
    const newRoot = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    const files = intermediate.toCacertsFiles();
    const ca = CertificateAuthority.fromPem({
      certPem: files['ca-cert.pem'],
      keyPem: files['ca-key.pem'],
      rootCertPem: newRoot.certificate.pem + files['root-cert.pem'],
    });
    expect(ca.trustBundle.size).toBe(2);
    expect(ca.root.pem).toBe(root.certificate.pem);
    expect(ca.issueWorkloadCertificate({ csrPem, identity: IDENTITY }).chainPem.at(-1)).toBe(
      root.certificate.pem,
    );
  });

  it('refuses an expired CA', () => {
    const files = intermediate.toCacertsFiles();
    const later = new Date(intermediate.certificate.notAfter.getTime() + 1000);
    expect(() =>
      CertificateAuthority.fromPem({
        certPem: files['ca-cert.pem'],
        keyPem: files['ca-key.pem'],
        rootCertPem: files['root-cert.pem'],
        now: later,
      }),
    ).toThrow(expectCode('PKI_EXPIRED'));
  });

  it('refuses an unreadable key or certificate', () => {
    const files = intermediate.toCacertsFiles();
    const load = (certPem: string, keyPem: string) =>
      CertificateAuthority.fromPem({ certPem, keyPem, rootCertPem: files['root-cert.pem'] });
    expect(() => load(files['ca-cert.pem'], 'garbage')).toThrow(expectCode('PKI_INVALID_KEY'));
    expect(() => load('garbage', files['ca-key.pem'])).toThrow(expectCode('PKI_INVALID_PEM'));
  });
});
