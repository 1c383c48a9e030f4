import { describe, expect, it } from 'vitest';

import { fileCertificateSecretName, fileRootsSecretName, parseFileSecretName } from './file-secret-names.js';

describe("Istio's file secret names", () => {
  it('round-trips a client certificate and a CA bundle; no bundle means the system roots', () => {
    expect(parseFileSecretName(fileCertificateSecretName('/etc/certs/c.pem', '/etc/certs/k.pem'))).toEqual({
      kind: 'certificate',
      certificateChain: '/etc/certs/c.pem',
      privateKey: '/etc/certs/k.pem',
    });
    expect(fileRootsSecretName(undefined)).toBe('file-root:system');
    expect(parseFileSecretName(fileRootsSecretName('/etc/certs/ca.pem'))).toEqual({
      kind: 'roots',
      caCertificates: '/etc/certs/ca.pem',
    });
  });

  it('is not fooled by names of other secrets or incomplete ones', () => {
    for (const name of [
      'default',
      'ROOTCA',
      'kubernetes://vault',
      'file-cert:~',
      'file-cert:/a.pem',
      'file-root:',
    ])
      expect(parseFileSecretName(name)).toBeUndefined();
  });
});
