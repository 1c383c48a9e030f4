import { credentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

import { WorkloadCertificateAgent } from '../src/agent/index.js';
import { istiodServerName, parseKubeAgentOptions } from '../src/kube-agent/kube-agent-options.js';
import { TestCa, TOKEN, WORKLOAD } from './ca-test-server.js';

/**
 * The name the sidecar verifies istiod's certificate against in Kubernetes mode, as pilot-agent picks
 * it: ISTIOD_SAN, else the host of the address it dials — so a revisioned istiod, whose certificate
 * names `istiod-<rev>.<ns>.svc`, is accepted for exactly that name.
 */

const ARGS = ['sidecar', '--domain', 'default.svc.cluster.local'];
const ENV = {
  POD_NAME: 'frontend-1',
  POD_NAMESPACE: 'default',
  INSTANCE_IP: '10.244.0.9',
  SERVICE_ACCOUNT: 'frontend',
  CA_ADDR: 'istiod-canary.istio-system.svc:15012',
  PROXY_CONFIG: JSON.stringify({ discoveryAddress: 'istiod-canary.istio-system.svc:15012' }),
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("istiod's expected name (pilot-agent's ISTIOD_SAN or the discovery address's host)", () => {
  it('is the host of a revisioned discoveryAddress and CA_ADDR, or ISTIOD_SAN when set', () => {
    expect(parseKubeAgentOptions(ARGS, ENV, '/').istiodServerNames).toEqual({
      xds: 'istiod-canary.istio-system.svc',
      ca: 'istiod-canary.istio-system.svc',
    });
    const withSan = parseKubeAgentOptions(ARGS, { ...ENV, ISTIOD_SAN: 'istiod.mesh.example' }, '/');
    expect(withSan.istiodServerNames).toEqual({ xds: 'istiod.mesh.example', ca: 'istiod.mesh.example' });
    expect(istiodServerName('192.0.2.7:15012', undefined, 'istio-system')).toBe('192.0.2.7');
    expect(istiodServerName('[2001:db8::7]:15012', undefined, 'istio-system')).toBe('2001:db8::7');
    // A port-forward: pilot-agent checks istiod's in-cluster name.
    expect(istiodServerName('localhost:15012', undefined, 'istio-system')).toBe('istiod.istio-system.svc');
  });

  it('gets a certificate from a revisioned istiod whose certificate names only istiod-canary', async () => {
    const ca = await TestCa.start(undefined, ['istiod-canary.istio-system.svc']);
    cleanups.push(() => ca.close());
    const name = parseKubeAgentOptions(ARGS, ENV, '/').istiodServerNames!.ca;
    const agent = new WorkloadCertificateAgent({
      caAddress: ca.secureAddress,
      // As SidecarProxy dials the CA: TLS with the mesh root, verifying `name`.
      credentials: credentials.createSsl(Buffer.from(ca.trusted.toPem())),
      channelOptions: { 'grpc.ssl_target_name_override': name },
      caServerName: name,
      renewalAddress: ca.secureAddress,
      identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'frontend' },
      token: () => TOKEN,
      backoff: { initialMs: 10, maxMs: 40 },
    });
    cleanups.push(() => agent.stop());
    expect((await agent.start()).identity).toBe(WORKLOAD);
  });
});
