import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import { createCsr, createSelfSignedRoot, generateKeyPair } from '@mesh/pki';
import { credentials } from '@grpc/grpc-js';
import { AdsClient, TypeUrl, type Secret, type XdsConnection } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import type { RunningIstiod } from '../src/server/istiod.js';
import { MeshResourceSource } from '../src/xds/mesh-resource-source.js';
import { startTestIstiod, tempDir } from './istiod-harness.js';

const GATEWAY_ID = 'router~10.0.0.30~gw.istio-system~istio-system.svc.cluster.local';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A `kubernetes.io/tls` Secret for bookinfo.example.com, signed by a fresh test root. */
function gatewayCredential(name: string, namespace = 'istio-system') {
  const root = createSelfSignedRoot({ trustDomain: 'cluster.local' });
  const issued = root.issueServerCertificate({ dnsNames: ['bookinfo.example.com'] });
  const rootPem = root.trustBundle.toPem();
  const yaml = `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
type: kubernetes.io/tls
data:
  tls.crt: ${b64(issued.chainPem.join(''))}
  tls.key: ${b64(issued.privateKeyPem)}
  ca.crt: ${b64(rootPem)}
`;
  return { yaml, certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, rootPem };
}

function bytesOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value as Uint8Array);
  return bytes.toString('utf8');
}

/** The decoded SDS resource's fields these tests read. */
interface SecretFields {
  tls_certificate?: {
    certificate_chain?: { inline_bytes?: unknown };
    private_key?: { inline_bytes?: unknown };
  };
  validation_context?: { trusted_ca?: { inline_bytes?: unknown } };
}

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('gateway SDS from istiod', () => {
  let istiod: RunningIstiod | undefined;
  let client: AdsClient | undefined;
  afterEach(async () => {
    client?.close();
    await istiod?.close();
  });

  it('serves a router the credentialName Secret of its namespace, and its -cacert, and pushes a rotation', async () => {
    const config = tempDir('istiod-config-');
    const first = gatewayCredential('gw-cert');
    writeFileSync(join(config, 'secrets.yaml'), first.yaml);
    istiod = await startTestIstiod(tempDir('istiod-state-'), ['--config-dir', config]);
    // Over plaintext, claiming to be a gateway in istio-system gets no keys.
    const plaintext = new AdsClient({
      target: `127.0.0.1:${istiod.ports.xds}`,
      node: { id: GATEWAY_ID, metadata: { NAMESPACE: 'istio-system' } },
    });
    plaintext.subscribe(TypeUrl.Secret, ['kubernetes://gw-cert']);
    plaintext.start();
    await until('the plaintext request to be answered', () =>
      istiod!.xdsConnections().some((c) => c.types.some((t) => t.sentNonce)),
    );
    expect(plaintext.resources(TypeUrl.Secret).size).toBe(0);
    plaintext.close();

    // Over mTLS with the gateway's workload certificate (what its agent holds), it gets them.
    const key = generateKeyPair();
    const identity = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
    const issued = istiod.ca.issueWorkloadCertificate({
      csrPem: createCsr({ privateKey: key.privateKeyPem, identity }),
      identity,
    });
    const nacks: string[] = [];
    client = new AdsClient({
      target: `127.0.0.1:${istiod.ports.secureXds}`,
      node: { id: GATEWAY_ID, metadata: { NAMESPACE: 'istio-system' } },
      credentials: credentials.createSsl(
        Buffer.from(issued.chainPem.at(-1)!),
        Buffer.from(key.privateKeyPem),
        Buffer.from(issued.chainPem.slice(0, -1).join('')),
      ),
      channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
    });
    client.on('nack', (n) => nacks.push(n.message));
    client.subscribe(TypeUrl.Secret, ['kubernetes://gw-cert', 'kubernetes://gw-cert-cacert', 'default']);
    client.start();
    const secrets = () => client!.resources<Secret & SecretFields>(TypeUrl.Secret);
    await until('the gateway secrets', () => secrets().size === 2);
    expect(nacks).toEqual([]);
    expect([...secrets().keys()].sort()).toEqual(['kubernetes://gw-cert', 'kubernetes://gw-cert-cacert']);

    const cert = secrets().get('kubernetes://gw-cert')!.resource;
    expect(bytesOf(cert.tls_certificate?.certificate_chain?.inline_bytes)).toContain(first.certificatePem);
    expect(bytesOf(cert.tls_certificate?.private_key?.inline_bytes)).toBe(first.privateKeyPem);
    const ca = secrets().get('kubernetes://gw-cert-cacert')!.resource;
    expect(bytesOf(ca.validation_context?.trusted_ca?.inline_bytes)).toBe(first.rootPem);

    // Debug dumps show the certificate but never the private key.
    const dump = await (
      await fetch(
        `http://127.0.0.1:${istiod.ports.monitoring}/debug/config_dump?proxyID=${encodeURIComponent(GATEWAY_ID)}`,
      )
    ).text();
    expect(dump).toContain('[redacted]');
    expect(dump).not.toContain(Buffer.from(first.privateKeyPem).toString('base64').slice(0, 40));

    // A rotated Secret reaches the gateway without it asking again.
    const rotated = gatewayCredential('gw-cert');
    writeFileSync(join(config, 'secrets.yaml'), rotated.yaml);
    await until('the rotated certificate', () =>
      bytesOf(
        secrets().get('kubernetes://gw-cert')?.resource.tls_certificate?.certificate_chain?.inline_bytes,
      ).includes(rotated.certificatePem),
    );
    expect(nacks).toEqual([]);
  });
});

describe('MeshResourceSource SDS', () => {
  const connection = (
    id: string,
    metadata: Record<string, string> = {},
    peerIdentity?: string,
  ): XdsConnection => ({
    id: 'c1',
    mode: 'sotw',
    peer: 'test',
    connectedAt: new Date(),
    peerIdentity,
    node: { id, cluster: '', metadata },
  });
  const GATEWAY_SA = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
  const snapshot = MeshSnapshot.fromYaml(
    gatewayCredential('gw-cert').yaml + '---\n' + gatewayCredential('other-cert', 'default').yaml,
    'secrets.yaml',
  );
  const sds = (conn: XdsConnection, names: string[], wildcard = false) => ({
    connection: conn,
    typeUrl: TypeUrl.Secret,
    wildcard,
    names: new Set(names),
  });

  it('answers routers by name, once per snapshot and namespace, and reports what it leaves out once', () => {
    const problems: string[] = [];
    const source = new MeshResourceSource(snapshot, (what, error) =>
      problems.push(`${what}: ${error.message}`),
    );
    const gateway = connection(GATEWAY_ID, { NAMESPACE: 'istio-system' }, GATEWAY_SA);
    const names = ['kubernetes://gw-cert', 'kubernetes://default/other-cert', 'ROOTCA'];
    const first = source.resources(sds(gateway, names));
    expect(first.map((r) => r.name)).toEqual(['kubernetes://gw-cert']);
    expect(problems).toEqual([
      `SDS for ${GATEWAY_ID}: kubernetes://default/other-cert: refused: a gateway in namespace "istio-system" may only read Secrets of its own namespace, not "default"`,
      `SDS for ${GATEWAY_ID}: ROOTCA: served by the proxy's own agent, never by istiod`,
    ]);
    const again = source.resources(sds(gateway, names));
    expect(again[0]).toBe(first[0]); // prepared once per snapshot
    expect(problems).toHaveLength(2); // and reported once

    // The same short name means the Secret of the asking gateway's namespace.
    const inDefault = connection(
      'router~10.0.0.31~gw.default~default.svc.cluster.local',
      {},
      'spiffe://cluster.local/ns/default/sa/gw',
    );
    expect(source.resources(sds(inDefault, ['kubernetes://other-cert'])).map((r) => r.name)).toEqual([
      'kubernetes://other-cert',
    ]);
    expect(source.resources(sds(inDefault, ['kubernetes://gw-cert']))).toEqual([]);
  });

  it('sends nothing for a wildcard SDS subscription, and nothing to sidecars or proxyless clients', () => {
    const source = new MeshResourceSource(snapshot);
    const gateway = connection(GATEWAY_ID, { NAMESPACE: 'istio-system' }, GATEWAY_SA);
    expect(source.resources(sds(gateway, [], true))).toEqual([]);
    const sidecar = connection('sidecar~10.0.0.10~gw.istio-system~istio-system.svc.cluster.local', {
      NAMESPACE: 'istio-system',
    });
    expect(source.resources(sds(sidecar, ['kubernetes://gw-cert', 'default', 'ROOTCA']))).toEqual([]);
    const proxyless = connection('router~x~y.istio-system~istio-system.svc.cluster.local', {
      GENERATOR: 'grpc',
    });
    expect(source.resources(sds(proxyless, ['kubernetes://gw-cert']))).toEqual([]);
  });

  it('serves no keys without a verified workload certificate of the same namespace', () => {
    const problems: string[] = [];
    const source = new MeshResourceSource(snapshot, (what, error) =>
      problems.push(`${what}: ${error.message}`),
    );
    expect(
      source.resources(sds(connection(GATEWAY_ID, { NAMESPACE: 'istio-system' }), ['kubernetes://gw-cert'])),
    ).toEqual([]);
    const otherNamespace = connection(
      GATEWAY_ID,
      { NAMESPACE: 'istio-system' },
      'spiffe://cluster.local/ns/default/sa/gw',
    );
    expect(source.resources(sds(otherNamespace, ['kubernetes://gw-cert']))).toEqual([]);
    expect(problems).toEqual([
      `SDS for ${GATEWAY_ID}: secrets are served only over mTLS with a workload certificate`,
      `SDS for ${GATEWAY_ID}: authenticated as namespace default, not istio-system`,
    ]);
  });

  it('forgets what it resolved when the snapshot changes', () => {
    const source = new MeshResourceSource(snapshot);
    const gateway = connection(GATEWAY_ID, { NAMESPACE: 'istio-system' }, GATEWAY_SA);
    expect(source.resources(sds(gateway, ['kubernetes://gw-cert']))).toHaveLength(1);
    source.update(new MeshSnapshot([]));
    expect(source.resources(sds(gateway, ['kubernetes://gw-cert']))).toEqual([]);
  });
});
