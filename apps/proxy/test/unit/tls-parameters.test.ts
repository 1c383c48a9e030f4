import { TypeUrl } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { nodeTlsParameters, tlsParameterErrors } from '../../src/tls/tls-parameters.js';
import { proxyCapabilityErrors } from '../../src/xds/proxy-capabilities.js';
import { goldenListeners } from './golden-xds.js';

/** How Envoy's `tls_params` become Node TLS options, and what this proxy NACKs. */

const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

describe('nodeTlsParameters', () => {
  it('restricts TLS 1.2 to the configured suites and keeps the fixed TLS 1.3 suites', () => {
    expect(
      nodeTlsParameters(
        {
          tls_minimum_protocol_version: 'TLSv1_2',
          tls_maximum_protocol_version: 'TLSv1_3',
          cipher_suites: ['ECDHE-ECDSA-AES256-GCM-SHA384', '[AES128-GCM-SHA256|AES256-GCM-SHA384]'],
          ecdh_curves: ['P-256', 'X25519'],
        },
        'server',
      ),
    ).toEqual({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: `${TLS13}:ECDHE-ECDSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384`,
      ecdhCurve: 'P-256:X25519',
    });
  });

  it('takes Envoy’s defaults for what is unset: clients stop at TLS 1.2, servers at 1.3', () => {
    const defaultCiphers = `${TLS13}:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384`;
    expect(nodeTlsParameters(undefined, 'client')).toEqual({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: defaultCiphers,
      ecdhCurve: 'X25519:P-256',
    });
    expect(nodeTlsParameters({ tls_minimum_protocol_version: 'TLS_AUTO' }, 'server')).toMatchObject({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    });
  });
});

describe('TLS parameters this proxy cannot apply', () => {
  it('names suites and curves its TLS library lacks, and signature algorithms', () => {
    expect(
      tlsParameterErrors(
        {
          cipher_suites: ['AES128-GCM-SHA256', 'DES-CBC3-SHA'],
          ecdh_curves: ['X25519', 'X25519Kyber768Draft00'],
          signature_algorithms: ['ecdsa_secp256r1_sha256'],
        },
        'tls_params',
      ),
    ).toEqual([
      "tls_params.cipher_suites[1]: cipher suite DES-CBC3-SHA is not available in this proxy's TLS library",
      "tls_params.ecdh_curves[1]: ECDH curve X25519Kyber768Draft00 is not available in this proxy's TLS library",
      'tls_params.signature_algorithms: not supported by this proxy',
    ]);
  });

  it('NACKs an inbound mTLS chain asking for 3DES, naming listener, chain and field', () => {
    const listener = structuredClone(
      goldenListeners('mesh-mtls-tls13').find((l) => l.name === 'virtualInbound'),
    );
    if (!listener) throw new Error('virtualInbound missing from the golden listeners');
    const chain = (listener.filter_chains ?? []).findIndex((c) => c.transport_socket !== undefined);
    const typed = listener.filter_chains?.[chain]?.transport_socket?.typed_config as {
      common_tls_context: { tls_params: { cipher_suites?: string[] } };
    };
    const params = typed.common_tls_context.tls_params;
    params.cipher_suites = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'DES-CBC3-SHA'];
    const update = {
      typeUrl: TypeUrl.Listener,
      version: '1',
      updated: [{ name: 'virtualInbound', version: '1', resource: listener }],
      removed: [],
    };
    expect(proxyCapabilityErrors(update)).toEqual([
      `Listener virtualInbound: filter_chains[${chain}].transport_socket.typed_config.common_tls_context.tls_params.cipher_suites[1]: cipher suite DES-CBC3-SHA is not available in this proxy's TLS library`,
    ]);
  });
});
