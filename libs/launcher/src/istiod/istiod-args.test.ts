import { describe, expect, it } from 'vitest';

import { istiodArgs } from './istiod-args.js';
import { istiodRootCert, secureXdsAddress } from './start-istiod.js';

describe('istiodArgs', () => {
  it('puts a launched istiod on loopback with free ports, leaving the rest to its defaults', () => {
    expect(istiodArgs({ configDir: '/c', stateDir: '/s' })).toEqual([
      ...['--config-dir', '/c', '--state-dir', '/s', '--listen-address', '127.0.0.1'],
      ...['--xds-port', '0', '--secure-xds-port', '0', '--monitoring-port', '0'],
    ]);
  });

  it('gives an istiod working for a cluster a free webhook port, not 15017', () => {
    expect(istiodArgs({ configDir: '/c', stateDir: '/s', kubeconfig: '/k' }).slice(-4)).toEqual([
      ...['--kubeconfig', '/k', '--webhook-port', '0'],
    ]);
  });

  it('turns every option into its flag', () => {
    expect(
      istiodArgs({
        configDir: '/c',
        stateDir: '/s',
        caDir: '/cacerts',
        listenAddress: '0.0.0.0',
        xdsPort: 15010,
        secureXdsPort: 15012,
        monitoringPort: 15014,
        trustDomain: 'example.org',
        meshConfigFile: '/mesh',
        kubeconfig: '/k',
        webhookPort: 15017,
        pushDebounceMs: 50,
        logLevel: 'warn',
      }),
    ).toEqual([
      ...['--config-dir', '/c', '--state-dir', '/s', '--ca-dir', '/cacerts', '--listen-address', '0.0.0.0'],
      ...['--xds-port', '15010', '--secure-xds-port', '15012', '--monitoring-port', '15014'],
      ...['--trust-domain', 'example.org', '--mesh-config', '/mesh', '--kubeconfig', '/k'],
      ...['--webhook-port', '15017'],
      ...['--push-debounce', '50ms'],
      ...['--log-level', 'warn'],
    ]);
  });
});

describe("istiod's addresses and root", () => {
  const ports = { xdsPort: 15010, secureXdsPort: 15012, monitoringPort: 15014 };

  it('dials the TLS port, bracketing IPv6 hosts', () => {
    expect(secureXdsAddress('127.0.0.1', ports)).toBe('127.0.0.1:15012');
    expect(secureXdsAddress('::1', ports)).toBe('[::1]:15012');
  });

  it('trusts the self-signed root of the state directory, or the plug-in CA root', () => {
    expect(istiodRootCert({ stateDir: '/s' })).toBe('/s/ca/root-cert.pem');
    expect(istiodRootCert({ stateDir: '/s', caDir: '/cacerts' })).toBe('/cacerts/root-cert.pem');
  });
});
