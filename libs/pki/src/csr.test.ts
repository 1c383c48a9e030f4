import { createPublicKey } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { withOpenssl } from '../test/openssl.js';
import { createCsr, parseCsr } from './csr.js';
import { generateKeyPair } from './keys.js';
import { decodePemBlocks, encodePem } from './pem.js';

const IDENTITY = 'spiffe://cluster.local/ns/default/sa/frontend';

/** Re-armours a CSR after `edit` has changed its DER. */
function tampered(csrPem: string, edit: (der: Buffer) => void): string {
  const der = Buffer.from(decodePemBlocks(csrPem)[0]!.der);
  edit(der);
  return encodePem('CERTIFICATE REQUEST', der);
}

const expectCode = (code: string) => expect.objectContaining({ code });

describe.each(['ECDSA_P256', 'RSA_2048'] as const)('%s CSRs', (algorithm) => {
  const key = generateKeyPair(algorithm);
  const csrPem = createCsr({ privateKey: key.privateKeyPem, identity: IDENTITY });

  it('carry the SPIFFE ID as URI SAN, round-trip, and pass `openssl req -verify`', () => {
    const csr = parseCsr(csrPem);
    expect(csr).toMatchObject({
      keyAlgorithm: algorithm,
      signatureAlgorithm: algorithm === 'RSA_2048' ? 'sha256WithRSAEncryption' : 'ecdsa-with-SHA256',
      subject: '',
      uris: [IDENTITY],
      dnsNames: [],
    });
    expect(csr.publicKey.export({ type: 'spki', format: 'pem' })).toBe(key.publicKeyPem);
    withOpenssl((openssl) => {
      openssl.file('csr.pem', csrPem);
      const result = openssl.attempt(['req', '-verify', '-noout', '-in', 'csr.pem']);
      expect(result).toMatchObject({ status: 0, output: expect.stringMatching(/verify OK/i) });
      const text = openssl.run(['req', '-text', '-noout', '-in', 'csr.pem']);
      expect(text).toMatch(
        /Requested Extensions:\s+X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/frontend/,
      );
    });
  });

  it('are refused when a byte of the signature is flipped', () => {
    const bad = tampered(csrPem, (der) => {
      der[der.length - 1]! ^= 0x01;
    });
    expect(() => parseCsr(bad)).toThrow(expectCode('PKI_BAD_SIGNATURE'));
  });

  it('are refused when the requested SAN is altered after signing', () => {
    const bad = tampered(csrPem, (der) => {
      const at = der.indexOf('sa/frontend');
      der[at + 3] = 'F'.charCodeAt(0);
    });
    expect(() => parseCsr(bad)).toThrow(expectCode('PKI_BAD_SIGNATURE'));
    expect(() => parseCsr(bad)).toThrow(/CSR signature does not verify/);
  });

  it('are refused when truncated', () => {
    const bad = encodePem('CERTIFICATE REQUEST', decodePemBlocks(csrPem)[0]!.der.subarray(0, 120));
    expect(() => parseCsr(bad)).toThrow(expectCode('PKI_INVALID_CSR'));
  });
});

describe('CSRs made by openssl', () => {
  it.each([
    ['EC', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem'], 'ECDSA_P256'],
    ['RSA', ['genrsa', '-traditional', '-out', 'key.pem', '2048'], 'RSA_2048'],
  ] as const)('are read (%s, with subject, URI and DNS SANs)', (_, keygen, algorithm) => {
    withOpenssl((openssl) => {
      openssl.run([...keygen]);
      const csrPath = 'csr.pem';
      openssl.run([
        'req',
        '-new',
        '-key',
        'key.pem',
        '-subj',
        '/O=example/CN=frontend',
        '-out',
        csrPath,
        '-addext',
        `subjectAltName=URI:${IDENTITY},DNS:frontend.default.svc,IP:10.0.0.7`,
      ]);
      const csr = parseCsr(openssl.run(['req', '-in', csrPath]));
      expect(csr).toMatchObject({
        keyAlgorithm: algorithm,
        subject: 'O=example, CN=frontend',
        uris: [IDENTITY],
        dnsNames: ['frontend.default.svc'],
        ipAddresses: ['10.0.0.7'],
      });
      const publicKey = createPublicKey(openssl.run(['pkey', '-in', 'key.pem', '-pubout']));
      expect(csr.publicKey.equals(publicKey)).toBe(true);
    });
  });

  it('without any SAN are refused unless the caller allows it', () => {
    withOpenssl((openssl) => {
      openssl.run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
      const pem = openssl.run(['req', '-new', '-key', 'key.pem', '-subj', '/CN=frontend']);
      expect(() => parseCsr(pem)).toThrow(expectCode('PKI_MISSING_SAN'));
      expect(parseCsr(pem, { requireSan: false }).subject).toBe('CN=frontend');
    });
  });

  it('signed with SHA-1 are refused as unsupported', () => {
    withOpenssl((openssl) => {
      openssl.run(['genrsa', '-out', 'key.pem', '2048']);
      const pem = openssl.run([
        'req',
        '-new',
        '-sha1',
        '-key',
        'key.pem',
        '-subj',
        '/CN=x',
        '-addext',
        `subjectAltName=URI:${IDENTITY}`,
      ]);
      expect(() => parseCsr(pem)).toThrow(expectCode('PKI_UNSUPPORTED_ALGORITHM'));
    });
  });
});

describe('garbage', () => {
  it.each([
    ['text without PEM', 'hello', 'PKI_INVALID_PEM'],
    [
      'a certificate instead of a CSR',
      '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n',
      'PKI_INVALID_PEM',
    ],
    [
      'a CSR block that is not base64',
      '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----',
      'PKI_INVALID_PEM',
    ],
    [
      'random bytes',
      encodePem('CERTIFICATE REQUEST', Buffer.from('30820102deadbeef', 'hex')),
      'PKI_INVALID_CSR',
    ],
    ['an empty SEQUENCE', encodePem('CERTIFICATE REQUEST', Buffer.from('3000', 'hex')), 'PKI_INVALID_CSR'],
  ])('is refused: %s', (_, pem, code) => {
    expect(() => parseCsr(pem)).toThrow(expectCode(code));
  });

  it('a CSR whose key is not usable (Ed25519) is refused as unsupported', () => {
    withOpenssl((openssl) => {
      openssl.run(['genpkey', '-algorithm', 'ed25519', '-out', 'key.pem']);
      const pem = openssl.run([
        'req',
        '-new',
        '-key',
        'key.pem',
        '-subj',
        '/CN=x',
        '-addext',
        `subjectAltName=URI:${IDENTITY}`,
      ]);
      expect(() => parseCsr(pem)).toThrow(expectCode('PKI_UNSUPPORTED_ALGORITHM'));
    });
  });
});

describe('createCsr', () => {
  it('writes a subject and non-critical SAN when asked for a subject, and refuses bad SPIFFE IDs', () => {
    const privateKey = generateKeyPair().privateKeyPem;
    const csr = createCsr({ privateKey, identity: IDENTITY, subject: { organization: 'cluster.local' } });
    expect(parseCsr(csr).subject).toBe('O=cluster.local');
    expect(() => createCsr({ privateKey, identity: 'spiffe://Cluster/ns/x/sa/y' })).toThrow(
      expectCode('PKI_INVALID_SPIFFE_ID'),
    );
    expect(() => createCsr({ privateKey })).toThrow(expectCode('PKI_INVALID_ARGUMENT'));
  });
});
