import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

import forge from 'node-forge';

/**
 * A throwaway certificate authority for tests: the API server's serving certificate and the
 * serving certificates of test webhooks come from it, and clients trust its root through the
 * kubeconfig's `certificate-authority-data` or a webhook's `caBundle`. RSA 2048 keys come from
 * Node's native generator (fast); node-forge builds and signs the X.509 structures. It is not
 * libs/pki on purpose: libs/kube must not depend on it (DESIGN.md §4 scopes).
 */
export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TestCertificateAuthority {
  /** The root certificate, PEM. */
  readonly caPem: string;
  /** Issues a serving certificate for DNS names and IP addresses (one or more). */
  issueServingCertificate(hosts: readonly string[]): ServingCertificate;
}

const VALIDITY_DAYS = 2;

function rsaKeyPair(): {
  keyPem: string;
  forgePrivateKey: forge.pki.rsa.PrivateKey;
  forgePublicKey: forge.pki.rsa.PublicKey;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgePrivateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const forgePublicKey = forge.pki.setRsaPublicKey(forgePrivateKey.n, forgePrivateKey.e);
  return { keyPem, forgePrivateKey, forgePublicKey };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, commonName: string): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  // A first byte of 0x01 keeps the serial positive and minimally encoded. (forge drops only one
  // redundant leading zero, so a random serial starting 00 00 made invalid DER, which OpenSSL
  // rejects with "illegal padding", about once in 500 certificates.)
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notBefore = notBefore;
  certificate.validity.notAfter = new Date(notBefore.getTime() + VALIDITY_DAYS * 24 * 3600_000);
  certificate.setSubject([{ name: 'commonName', value: commonName }]);
  return certificate;
}

export function createTestCertificateAuthority(
  commonName = 'mesh test API server CA',
): TestCertificateAuthority {
  const root = rsaKeyPair();
  const caCertificate = newCertificate(root.forgePublicKey, commonName);
  caCertificate.setIssuer(caCertificate.subject.attributes);
  caCertificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCertificate.sign(root.forgePrivateKey, forge.md.sha256.create());
  const caPem = forge.pki.certificateToPem(caCertificate);

  return {
    caPem,
    issueServingCertificate(hosts) {
      const [commonName] = hosts;
      if (commonName === undefined) throw new TypeError('a serving certificate needs at least one host');
      const leaf = rsaKeyPair();
      const certificate = newCertificate(leaf.forgePublicKey, commonName);
      certificate.setIssuer(caCertificate.subject.attributes);
      certificate.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })),
        },
        {
          name: 'authorityKeyIdentifier',
          keyIdentifier: caCertificate.generateSubjectKeyIdentifier().getBytes(),
        },
      ]);
      certificate.sign(root.forgePrivateKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(certificate), keyPem: leaf.keyPem };
    },
  };
}
