import { generateKeyPairSync } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { withOpenssl } from '../test/openssl.js';
import { createSelfSignedRoot } from './root-ca.js';
import { detectKeyAlgorithm, generateKeyPair, generateKeyPairAsync, loadPrivateKey } from './keys.js';

const expectCode = (code: string) => expect.objectContaining({ code });

describe('keys', () => {
  it.each(['ECDSA_P256', 'RSA_2048', 'ECDSA_P384'] as const)(
    'generates %s as PKCS#8 + SPKI PEM',
    (algorithm) => {
      const pair = generateKeyPair(algorithm);
      expect(pair.algorithm).toBe(algorithm);
      expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(detectKeyAlgorithm(pair.privateKeyPem)).toBe(algorithm);
      expect(detectKeyAlgorithm(pair.publicKeyPem)).toBe(algorithm);
    },
  );

  it('defaults to ECDSA P-256, also asynchronously', async () => {
    expect(generateKeyPair().algorithm).toBe('ECDSA_P256');
    const pair = await generateKeyPairAsync('RSA_2048');
    expect(detectKeyAlgorithm(pair.privateKeyPem)).toBe('RSA_2048');
  });

  it('detects the algorithm of a certificate and of PKCS#1 and SEC 1 keys written by openssl', () => {
    expect(detectKeyAlgorithm(createSelfSignedRoot({ trustDomain: 'cluster.local' }).certificate.pem)).toBe(
      'ECDSA_P256',
    );
    withOpenssl((openssl) => {
      const sec1 = openssl.run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
      expect(sec1).toContain('BEGIN EC PRIVATE KEY');
      expect(detectKeyAlgorithm(sec1)).toBe('ECDSA_P256');
      const pkcs1 = openssl.run(['genrsa', '-traditional', '2048']);
      expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
      expect(detectKeyAlgorithm(pkcs1)).toBe('RSA_2048');
    });
  });

  it('refuses keys it cannot use and keys it cannot read', () => {
    const ed25519 = generateKeyPairSync('ed25519').privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(() => detectKeyAlgorithm(ed25519)).toThrow(expectCode('PKI_UNSUPPORTED_ALGORITHM'));
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(() => detectKeyAlgorithm(small)).toThrow(/RSA keys of 1024 bits are not supported/);
    expect(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n')).toThrow(
      expectCode('PKI_INVALID_KEY'),
    );
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    }) as string;
    expect(() => loadPrivateKey(encrypted)).toThrow(/encrypted/);
    expect(() => generateKeyPair('DSA' as never)).toThrow(expectCode('PKI_UNSUPPORTED_ALGORITHM'));
  });
});
