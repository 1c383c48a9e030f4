import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MeshSnapshot } from '@mesh/registry';
import {
  buildSidecarContext,
  DEFAULT_MESH_SETTINGS,
  generateSidecar,
  MemoryResourceSource,
  resourceTypeFor,
  startAdsServer,
  TypeUrl,
  type RunningAdsServer,
} from '@mesh/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';
import { meshClientCertificate, sClient, type CertificateFiles } from './tls-peers.js';

/**
 * The TLS parameters of inbound Istio mTLS, as a client sees them with `openssl s_client` holding a
 * valid certificate from the mesh CA (so a refused handshake is about the parameters alone):
 * - under istiod, Istio's defaults, which are seed 004's cipher list: TLS 1.2–1.3 and six AES-GCM
 *   suites, so CHACHA20 and CBC suites are refused on TLS 1.2;
 * - under a second istiod whose MeshConfig (the `istio` ConfigMap in its config directory) says
 *   `meshMTLS: { minProtocolVersion: TLSV1_3 }`, TLS 1.2 is refused;
 * - in listeners edited beyond what MeshConfig can say (served by a test control plane), curves are
 *   applied and an unknown suite is NACKed.
 */

const mesh = new LoopbackMesh();
/** A mesh of its own: its istiod reads a MeshConfig that asks for TLS 1.3. */
const tls13Mesh = new LoopbackMesh();
const certDir = mkdtempSync(join(tmpdir(), 'mesh-tls-params-'));
const source = new MemoryResourceSource(
  (typeUrl, resource) => resourceTypeFor(typeUrl)?.nameOf(resource) ?? '',
);
const nacks: { typeUrl: string; message: string }[] = [];
let ads: RunningAdsServer;
let client: CertificateFiles;
let tls13Client: CertificateFiles;
let tls13: SidecarProcess;
let edited: SidecarProcess;

const DEFAULTS_ADDRESS = '127.0.201.2:8080';
const TLS13_ADDRESS = '127.0.201.3:8080';
const EDITED_ADDRESS = '127.0.201.4:8080';

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: defaults, namespace: default }
spec:
  selector: { app: defaults }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: tls13, namespace: default }
spec:
  selector: { app: tls13 }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: edited, namespace: default }
spec:
  selector: { app: edited }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: default }
spec:
  mtls: { mode: STRICT }
`;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- edits deep in xDS resources

/** The `istio` ConfigMap istiod reads MeshConfig from when no `--mesh-config` file is given. */
const TLS13_MESH_CONFIG = `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |
    meshMTLS:
      minProtocolVersion: TLSV1_3
`;

/** The edited sidecar's config from the sidecar generator, with MeshConfig `meshMTLS` set. */
function editedResources(typeUrl: string): Obj[] {
  const ctx = buildSidecarContext(
    MeshSnapshot.fromYaml(CONFIG, 'edited.yaml'),
    {
      id: 'sidecar~127.0.201.4~edited-1.default~default.svc.cluster.local',
      namespace: 'default',
      labels: { app: 'edited' },
      ipAddresses: ['127.0.201.4'],
      serviceAccount: 'edited',
    },
    { ...DEFAULT_MESH_SETTINGS, meshMtls: { minProtocolVersion: 'TLSV1_3' } },
  );
  return generateSidecar(ctx, { typeUrl, wildcard: true, names: new Set() }) as Obj[];
}

/** The edited sidecar's listeners with every inbound mTLS context's `tls_params` edited. */
function editedListeners(edit: (params: Obj) => void): Obj[] {
  const listeners = editedResources(TypeUrl.Listener);
  for (const listener of listeners)
    for (const chain of listener['filter_chains'] ?? []) {
      const params = chain.transport_socket?.typed_config?.common_tls_context?.tls_params;
      if (params) edit(params);
    }
  return listeners;
}

const withCert = (files = client) => ['-cert', files.cert, '-key', files.key, '-CAfile', files.ca];

/** Waits until a client with a mesh certificate gets an answer over mTLS from `address`. */
async function answering(address: string, files: CertificateFiles, sidecar: SidecarProcess, flags: string[]) {
  let last = '';
  await waitFor(
    async () => {
      const result = await sClient(address, [...withCert(files), ...flags]);
      last = result.output;
      return result.answered;
    },
    15_000,
    () => `${sidecar.name} never answered over mTLS:\n${last}\n${sidecar.logs.join('\n')}`,
  );
}

beforeAll(async () => {
  mesh.writeConfig('services.yaml', CONFIG);
  tls13Mesh.writeConfig('services.yaml', CONFIG);
  tls13Mesh.writeConfig('mesh-config.yaml', TLS13_MESH_CONFIG);
  await Promise.all([mesh.startIstiod(), tls13Mesh.startIstiod()]);
  for (const name of ['defaults', 'tls13']) mkdirSync(join(certDir, name));
  client = meshClientCertificate(mesh.stateDir, join(certDir, 'defaults'), 'default', 'tls-client');
  tls13Client = meshClientCertificate(tls13Mesh.stateDir, join(certDir, 'tls13'), 'default', 'tls-client');
  const defaults = await mesh.startSidecar({
    name: 'defaults-1',
    serviceAccount: 'defaults',
    labels: { app: 'defaults' },
    address: '127.0.201.2',
    inbound: { 8080: await mesh.startApp('defaults', '127.0.201.2') },
  });
  ads = await startAdsServer({ source, hooks: { onNack: (_connection, nack) => nacks.push(nack) } });
  for (const typeUrl of [
    TypeUrl.Cluster,
    TypeUrl.ClusterLoadAssignment,
    TypeUrl.Listener,
    TypeUrl.RouteConfiguration,
  ])
    source.set(typeUrl, editedResources(typeUrl));
  edited = await mesh.startSidecar({
    name: 'edited-1',
    serviceAccount: 'edited',
    labels: { app: 'edited' },
    address: '127.0.201.4',
    inbound: { 8080: await mesh.startApp('edited', '127.0.201.4') },
    xdsAddress: `127.0.0.1:${ads.port}`,
  });
  tls13 = await tls13Mesh.startSidecar({
    name: 'tls13-1',
    serviceAccount: 'tls13',
    labels: { app: 'tls13' },
    address: '127.0.201.3',
    inbound: { 8080: await tls13Mesh.startApp('tls13', '127.0.201.3') },
  });
  // STRICT has reached a sidecar once a client with a mesh certificate gets through.
  await answering(DEFAULTS_ADDRESS, client, defaults, ['-tls1_2']);
  await answering(TLS13_ADDRESS, tls13Client, tls13, ['-tls1_3']);
  await answering(EDITED_ADDRESS, client, edited, ['-tls1_3']);
}, 90_000);

afterAll(async () => {
  await ads?.close();
  await Promise.all([mesh.stop(), tls13Mesh.stop()]);
  rmSync(certDir, { recursive: true, force: true });
});

describe("Istio's inbound mTLS defaults (seed 004's cipher list)", () => {
  it('refuses CHACHA20 and CBC suites on TLS 1.2 and accepts the AES-GCM ones', async () => {
    for (const suite of [
      'ECDHE-ECDSA-CHACHA20-POLY1305',
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA',
    ]) {
      const refused = await sClient(DEFAULTS_ADDRESS, [...withCert(), '-tls1_2', '-cipher', suite]);
      expect(refused.answered, `${suite} was accepted:\n${refused.output}`).toBe(false);
    }
    for (const suite of ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256']) {
      const accepted = await sClient(DEFAULTS_ADDRESS, [...withCert(), '-tls1_2', '-cipher', suite]);
      expect(accepted.output).toContain('"app":"defaults"');
      expect(accepted.output).toContain(`Cipher is ${suite}`);
    }
  });

  it('accepts TLS 1.3 (its suites are not configurable) and refuses TLS 1.1', async () => {
    const tls13Handshake = await sClient(DEFAULTS_ADDRESS, [...withCert(), '-tls1_3']);
    expect(tls13Handshake.output).toContain('"app":"defaults"');
    expect(tls13Handshake.output).toContain('TLSv1.3');
    // SECLEVEL=0 lets the client offer TLS 1.1 at all; the refusal is the server's.
    const tls11 = await sClient(DEFAULTS_ADDRESS, [
      ...withCert(),
      '-tls1_1',
      '-cipher',
      'DEFAULT:@SECLEVEL=0',
    ]);
    expect(tls11.answered).toBe(false);
  });
});

describe('meshMTLS and the listener’s tls_params, exactly as configured', () => {
  it('with MeshConfig meshMTLS.minProtocolVersion TLSV1_3, istiod’s sidecar refuses TLS 1.2 even with an allowed suite', async () => {
    const tls12 = await sClient(TLS13_ADDRESS, [
      ...withCert(tls13Client),
      '-tls1_2',
      '-cipher',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
    ]);
    expect(tls12.answered).toBe(false);
    const tls13Handshake = await sClient(TLS13_ADDRESS, [...withCert(tls13Client), '-tls1_3']);
    expect(tls13Handshake.output).toContain('"app":"tls13"');
    expect(tls13Handshake.output).toContain('TLSv1.3');
  });

  it('offers only the configured ECDH curves', async () => {
    source.set(
      TypeUrl.Listener,
      editedListeners((params) => (params['ecdh_curves'] = ['P-384'])),
    );
    ads.ads.push({ typeUrl: TypeUrl.Listener });
    await waitFor(
      async () => !(await sClient(EDITED_ADDRESS, [...withCert(), '-tls1_3', '-groups', 'X25519'])).answered,
      10_000,
      () => `X25519 still accepted:\n${edited.logs.join('\n')}`,
    );
    const p384 = await sClient(EDITED_ADDRESS, [...withCert(), '-tls1_3', '-groups', 'P-384']);
    expect(p384.output).toContain('"app":"edited"');
  });

  it('NACKs an unknown cipher suite by its field and keeps the last good listener', async () => {
    source.set(
      TypeUrl.Listener,
      editedListeners((params) => (params['cipher_suites'] = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'NOPE'])),
    );
    ads.ads.push({ typeUrl: TypeUrl.Listener });
    await waitFor(
      () => nacks.length > 0,
      10_000,
      () => edited.logs.join('\n'),
    );
    expect(nacks[0]?.typeUrl).toBe(TypeUrl.Listener);
    expect(nacks[0]?.message).toMatch(
      /common_tls_context\.tls_params\.cipher_suites\[1\]: unknown cipher suite "NOPE"/,
    );
    const stillServing = await sClient(EDITED_ADDRESS, [...withCert(), '-tls1_3', '-groups', 'P-384']);
    expect(stillServing.output).toContain('"app":"edited"');
  });
});
