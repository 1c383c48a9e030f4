import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { authzCheckResult } from '../src/diagnose/authz-check-result.js';
import { describeResult } from '../src/diagnose/describe-result.js';
import { meshFromFiles, meshFromLocal } from '../src/diagnose/diagnose-mesh.js';
import { loadDiagnoseMesh } from '../src/diagnose/mesh-source.js';
import { tlsCheckResult } from '../src/diagnose/tls-check-result.js';

/**
 * The diagnose commands explain the mesh with the MeshConfig istiod runs with (the `istio` ConfigMap in
 * istio-system): a policy in its `rootNamespace` is mesh-wide, and identities are in its `trustDomain`;
 * on a local mesh, the trust domain of its mesh file (istiod's --trust-domain) wins.
 */

const dir = mkdtempSync(join(tmpdir(), 'meshctl-diagnose-meshconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, app: string, ip: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  labels: { app: ${app}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: ${app}
  containers: [{ name: app, image: app, ports: [{ containerPort: 8080 }] }]
status: { podIP: ${ip} }
`;

const MESH = `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |
    rootNamespace: mesh-root
    trustDomain: example.org
---
apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  clusterIP: 10.96.0.30
  selector: { app: backend }
  ports: [{ name: http, port: 8080 }]
---
${pod('backend-0', 'backend', '10.0.0.30')}---
${pod('frontend-0', 'frontend', '10.0.0.10')}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: mesh-strict, namespace: mesh-root }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-frontend, namespace: mesh-root }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules: [{ from: [{ source: { principals: [example.org/ns/default/sa/frontend] } }] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  trafficPolicy: { tls: { mode: DISABLE } }
`;

const file = join(dir, 'mesh.yaml');
writeFileSync(file, MESH);

describe("the diagnose commands under the mesh's MeshConfig", () => {
  it('tls-check: a STRICT PeerAuthentication in the configured rootNamespace is mesh-wide', async () => {
    const result = await tlsCheckResult(await meshFromFiles([file]), 'frontend', { service: 'backend' });
    expect(result.client.identity).toBe('spiffe://example.org/ns/default/sa/frontend');
    expect(result.rows).toMatchObject([
      { status: 'CONFLICT', endpoints: [{ server: 'STRICT', policy: 'mesh-strict.mesh-root' }] },
    ]);
  });

  it('authz check: a policy of the rootNamespace applies, to identities of the trust domain', async () => {
    const mesh = await meshFromFiles([file]);
    const allowed = authzCheckResult(mesh, 'backend', { caller: { from: 'frontend' }, request: {} });
    expect(allowed.policies.map((p) => `${p.name}.${p.namespace}`)).toEqual(['allow-frontend.mesh-root']);
    expect(allowed.request?.principal).toBe('example.org/ns/default/sa/frontend');
    expect(allowed.result?.decision).toBe('ALLOW');
    const other = authzCheckResult(mesh, 'backend', { caller: { namespace: 'default' }, request: {} });
    expect(other.result?.decision).toBe('DENY');
  });

  it('describe pod: the rootNamespace PeerAuthentication sets the effective mode', async () => {
    const result = describeResult(await meshFromFiles([file]), 'backend-0');
    expect(JSON.stringify(result)).toContain('mesh-strict');
  });

  it('refuses -f with --kubeconfig: one mesh source at a time', async () => {
    await expect(
      loadDiagnoseMesh({ filename: [file], kubeconfig: join(dir, 'kubeconfig'), 'state-dir': dir }),
    ).rejects.toThrow('give either -f files or --kubeconfig/--context, not both');
  });

  it("a local mesh: the config directory's MeshConfig, and the trust domain of its mesh file", async () => {
    const stateDir = join(dir, 'state');
    const configDir = join(stateDir, 'config');
    mkdirSync(join(stateDir, 'local'), { recursive: true });
    mkdirSync(configDir, { recursive: true });
    const config = MESH.split('\n---\n').filter((doc) => !doc.includes('kind: Pod'));
    writeFileSync(join(configDir, 'mesh.yaml'), config.join('\n---\n'));
    const meshFile = join(dir, 'local-mesh.yaml');
    writeFileSync(
      meshFile,
      [
        'apiVersion: local.meshctl.dev/v1alpha1',
        'kind: LocalMesh',
        'metadata: { name: shop }',
        'spec:',
        '  trustDomain: shop.example',
        '  config: [state/config/]',
        '  workloads: [{ name: frontend, command: [node], ports: [8080] }]',
      ].join('\n'),
    );
    const instance = (workload: string, address: string) => ({
      instance: `${workload}-0`,
      workload,
      namespace: 'default',
      serviceAccount: workload,
      identity: `spiffe://shop.example/ns/default/sa/${workload}`,
      labels: { app: workload },
      address,
      ports: [8080],
      appPorts: {},
      sidecar: true,
      env: {},
    });
    writeFileSync(
      join(stateDir, 'local', 'run.json'),
      JSON.stringify({
        mesh: 'shop',
        meshFile,
        mode: 'explicit',
        supervisorPid: process.pid, // a live process: the mesh counts as running
        startedAt: new Date().toISOString(),
        ready: true,
        configDir,
        istiod: { xdsPort: 1, secureXdsPort: 2, monitoringPort: 3, log: '' },
        instances: [instance('backend', '127.0.10.30'), instance('frontend', '127.0.10.10')],
      }),
    );
    const mesh = await meshFromLocal(stateDir);
    expect(mesh.settings).toMatchObject({ rootNamespace: 'mesh-root', trustDomain: 'shop.example' });
    const result = authzCheckResult(mesh, 'backend', { caller: { from: 'frontend' }, request: {} });
    expect(result.policies.map((p) => `${p.name}.${p.namespace}`)).toEqual(['allow-frontend.mesh-root']);
    expect(result.request?.principal).toBe('shop.example/ns/default/sa/frontend');
  });
});
