import { describe, expect, it } from 'vitest';

import { sidecarArgs, type SidecarOptions } from './sidecar-args.js';

const BASE: SidecarOptions = {
  podName: 'reviews-v2-0',
  namespace: 'default',
  serviceAccount: 'bookinfo-reviews',
  instanceIp: '127.0.10.4',
  labels: { app: 'reviews', version: 'v2' },
  istiodAddress: '127.0.0.1:15012',
  caRootCert: '/state/ca/root-cert.pem',
  tokenFile: '/state/local/reviews-v2-0.token',
  capture: { mode: 'explicit', inbound: { 9080: { host: '127.0.10.4', port: 40123 } } },
};

describe('sidecarArgs', () => {
  it('reaches istiod only on its TLS port: mTLS xDS, and the CA with its root and the join token', () => {
    expect(sidecarArgs(BASE)).toEqual([
      ...['--pod-name', 'reviews-v2-0', '--namespace', 'default', '--service-account', 'bookinfo-reviews'],
      ...['--instance-ip', '127.0.10.4', '--labels', 'app=reviews,version=v2'],
      ...['--xds-address', '127.0.0.1:15012', '--xds-tls'],
      ...['--ca-address', '127.0.0.1:15012', '--ca-root-cert', '/state/ca/root-cert.pem'],
      ...['--token-file', '/state/local/reviews-v2-0.token'],
      ...['--capture', 'explicit', '--inbound', '9080=127.0.10.4:40123'],
      // Explicit-mode sidecars share 127.0.0.1: each asks for a free admin port and reports it.
      ...['--admin-port', '0'],
    ]);
  });

  it('passes an admin port given, and none in transparent mode (15000 in the pod)', () => {
    expect(sidecarArgs({ ...BASE, adminPort: 15000 }).slice(-2)).toEqual(['--admin-port', '15000']);
    expect(sidecarArgs({ ...BASE, capture: { mode: 'transparent' } })).not.toContain('--admin-port');
  });

  it('takes xDS from another server in plaintext, istiod staying the CA', () => {
    const args = sidecarArgs({ ...BASE, xdsAddress: '127.0.0.1:40000' });
    expect(args).not.toContain('--xds-tls');
    expect(args.join(' ')).toContain(
      '--xds-address 127.0.0.1:40000 --ca-address 127.0.0.1:15012 --ca-root-cert /state/ca/root-cert.pem',
    );
  });

  it('runs transparent capture without inbound ports, with the optional flags, extra flags last', () => {
    const args = sidecarArgs({
      ...BASE,
      capture: { mode: 'transparent' },
      trustDomain: 'example.org',
      drainMs: 1000,
      logLevel: 'warn',
      extraArgs: ['--max-connections', '100'],
    });
    expect(args).not.toContain('--inbound');
    expect(args.slice(10, 12)).toEqual(['--trust-domain', 'example.org']);
    expect(args.slice(-8)).toEqual([
      ...['--capture', 'transparent', '--drain-duration', '1000ms', '--log-level', 'warn'],
      ...['--max-connections', '100'],
    ]);
  });

  it('gives every inbound port its own flag, and an empty label set as an empty list', () => {
    const args = sidecarArgs({
      ...BASE,
      labels: {},
      capture: {
        mode: 'explicit',
        inbound: { 8080: { host: '127.0.0.1', port: 1 }, 9090: { host: '127.0.0.1', port: 2 } },
      },
    });
    expect(args.slice(args.indexOf('--labels'), args.indexOf('--labels') + 2)).toEqual(['--labels', '']);
    expect(args.slice(-6, -2)).toEqual(['--inbound', '8080=127.0.0.1:1', '--inbound', '9090=127.0.0.1:2']);
  });
});
