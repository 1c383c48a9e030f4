import { describe, expect, it } from 'vitest';

import { inboundMtlsTlsParams, layeredTlsParams, upstreamTlsParams } from './tls-parameters.js';

describe('TLS parameters from Istio settings', () => {
  it('inbound mTLS defaults to TLS 1.2–1.3 and Istio’s SupportedCiphers (seed 004’s list)', () => {
    expect(inboundMtlsTlsParams(undefined)).toEqual({
      tls_minimum_protocol_version: 'TLSv1_2',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: [
        'ECDHE-ECDSA-AES256-GCM-SHA384',
        'ECDHE-RSA-AES256-GCM-SHA384',
        'ECDHE-ECDSA-AES128-GCM-SHA256',
        'ECDHE-RSA-AES128-GCM-SHA256',
        'AES256-GCM-SHA384',
        'AES128-GCM-SHA256',
      ],
    });
  });

  it('meshMTLS raises the minimum only to TLS 1.3 and replaces the cipher list', () => {
    expect(
      inboundMtlsTlsParams({ minProtocolVersion: 'TLSV1_3', cipherSuites: ['AES128-GCM-SHA256'] }),
    ).toEqual({
      tls_minimum_protocol_version: 'TLSv1_3',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: ['AES128-GCM-SHA256'],
    });
    expect(
      inboundMtlsTlsParams({ minProtocolVersion: 'TLSV1_2', cipherSuites: [] }).cipher_suites,
    ).toHaveLength(6);
  });

  it('originated TLS takes curves and suites from tlsDefaults, never its minimum version', () => {
    expect(upstreamTlsParams()).toEqual({
      tls_minimum_protocol_version: 'TLSv1_2',
      tls_maximum_protocol_version: 'TLSv1_3',
    });
    expect(
      upstreamTlsParams({
        minProtocolVersion: 'TLSV1_3',
        ecdhCurves: ['X25519'],
        cipherSuites: ['AES256-GCM-SHA384'],
      }),
    ).toEqual({
      tls_minimum_protocol_version: 'TLSv1_2',
      tls_maximum_protocol_version: 'TLSv1_3',
      cipher_suites: ['AES256-GCM-SHA384'],
      ecdh_curves: ['X25519'],
    });
  });

  it('layers a Gateway server’s settings over tlsDefaults (BuildListenerTLSContext)', () => {
    const tlsDefaults = {
      minProtocolVersion: 'TLSV1_2',
      ecdhCurves: ['P-256'],
      cipherSuites: ['AES128-GCM-SHA256'],
    };
    const server = {
      minProtocolVersion: 'TLSV1_3',
      maxProtocolVersion: 'TLS_AUTO',
      cipherSuites: ['AES256-GCM-SHA384'],
    };
    expect(layeredTlsParams({}, tlsDefaults, server)).toEqual({
      tls_minimum_protocol_version: 'TLSv1_3',
      cipher_suites: ['AES256-GCM-SHA384'],
      ecdh_curves: ['P-256'],
    });
  });
});
