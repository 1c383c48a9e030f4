import { describe, expect, it } from 'vitest';

import { validateMeshConfig } from './mesh-config.js';

const summary = (meshConfig: unknown) => {
  const result = validateMeshConfig(meshConfig);
  return [...result.errors, ...result.warnings].map((f) => `${f.level[0]} ${f.code} ${f.path}`);
};

/** Seed 004: Istio's default cipher list for inbound mTLS, written out in MeshConfig. */
const SEED_004_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
];

describe('MeshConfig meshMTLS and tlsDefaults', () => {
  it('accepts seed 004’s cipher list, TLS 1.3 as minimum and curves in tlsDefaults', () => {
    const result = validateMeshConfig({
      meshMTLS: { minProtocolVersion: 'TLSV1_3', cipherSuites: SEED_004_CIPHERS },
      tlsDefaults: {
        ecdhCurves: ['X25519', 'P-256'],
        cipherSuites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]'],
      },
      accessLogFile: '/dev/stdout',
    });
    expect(result.errors).toEqual([]);
    expect(result.meshConfig?.meshMTLS).toEqual({
      minProtocolVersion: 'TLSV1_3',
      cipherSuites: SEED_004_CIPHERS,
    });
    expect(result.meshConfig?.tlsDefaults?.ecdhCurves).toEqual(['X25519', 'P-256']);
  });

  it('names an unknown cipher suite by its field path and withholds the settings', () => {
    const result = validateMeshConfig({
      meshMTLS: { cipherSuites: ['AES128-GCM-SHA256', 'TLS_AES_128_GCM_SHA256'] },
    });
    expect(result.meshConfig).toBeUndefined();
    expect(result.errors.map((f) => [f.path, f.message])).toEqual([
      ['meshMTLS.cipherSuites[1]', 'unknown cipher suite "TLS_AES_128_GCM_SHA256"'],
    ]);
  });

  it('rejects unknown fields and versions by their path', () => {
    expect(summary({ meshMTLS: { minProtocolVersion: 'TLSV1_1', maxProtocolVersion: 'TLSV1_3' } })).toEqual([
      'E SCHEMA_UNKNOWN_FIELD meshMTLS.maxProtocolVersion',
      'E SCHEMA_ENUM meshMTLS.minProtocolVersion',
    ]);
  });

  it('rejects curves in meshMTLS (as Istio does) and unknown curves; warns of duplicates', () => {
    expect(
      summary({
        meshMTLS: { ecdhCurves: ['P-256'] },
        tlsDefaults: { ecdhCurves: ['prime256v1', 'X25519', 'X25519'] },
      }),
    ).toEqual([
      'E TLS_INVALID meshMTLS.ecdhCurves',
      'E TLS_INVALID tlsDefaults.ecdhCurves[0]',
      'W TLS_INVALID tlsDefaults.ecdhCurves[2]',
    ]);
  });

  it('reports lists of the wrong shape', () => {
    expect(summary({ meshMTLS: 'strict', tlsDefaults: { cipherSuites: 'AES128-SHA' } })).toEqual([
      'E SCHEMA_TYPE meshMTLS',
      'E SCHEMA_TYPE tlsDefaults.cipherSuites',
    ]);
  });
});
