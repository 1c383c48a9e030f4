import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { startIstiod } from '@mesh/launcher';
import { parseCertificate, splitCertificatePem } from '@mesh/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, waitFor, type SidecarProcess } from './mesh-processes.js';

/**
 * Sidecars keep talking mTLS across a root rotation of a running istiod: with a 120 s self-signed
 * root rotated in the last 40% of its life (its notBefore is backdated 60 s for clock skew, so about
 * 48 s after start), a frontend sidecar calls a backend sidecar (STRICT mTLS) before the rotation, while each renews its certificate under the new root (learning the root from
 * the CA's answer, its SDS `ROOTCA` on admin `/certs`), and after the old root has expired — all
 * without restarting a process.
 */

const FRONTEND = '127.0.57.2';
const BACKEND = '127.0.57.3';
const ROOT_TTL_MS = 120_000;

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
`;

/** This process's environment without proxy variables: each curl says whether it uses a proxy. */
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(https?|all|no|grpc)_proxy$/i.test(name)),
);

function curlStatus(args: string[]): Promise<number> {
  return new Promise((resolve) =>
    execFile(
      'curl',
      ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', ...args],
      { encoding: 'utf8', env: ENV },
      (_err, stdout) => resolve(Number(stdout)),
    ),
  );
}

/** The serial numbers of the roots a sidecar's SDS `ROOTCA` holds (admin `/certs`). */
async function trustedRoots(sidecar: SidecarProcess): Promise<string[]> {
  const certs = (await (await fetch(`${sidecar.adminUrl}/certs`)).json()) as {
    certificates: { ca_cert: { serial_number: string }[] }[];
  };
  return (certs.certificates[0]?.ca_cert ?? []).map((c) => c.serial_number.toLowerCase());
}

describe('a sidecar across a root rotation', { timeout: 180_000 }, () => {
  const mesh = new LoopbackMesh();
  let frontend: SidecarProcess;
  let backend: SidecarProcess;
  const call = () => curlStatus(['-x', frontend.proxyUrl, 'http://backend:8080/']);
  const currentRoot = () =>
    parseCertificate(splitCertificatePem(readFileSync(mesh.rootCertFile, 'utf8'))[0] as string);
  let firstRoot: ReturnType<typeof currentRoot>;
  /** What each sidecar trusted once traffic flowed: the first root alone, or the test proves nothing. */
  let rootsBefore: string[][];

  beforeAll(async () => {
    mesh.writeConfig('mesh.yaml', CONFIG);
    const istiod = startIstiod(
      { configDir: mesh.configDir, stateDir: mesh.stateDir, pushDebounceMs: 10 },
      {
        logs: { memory: true },
        readyTimeoutMs: 20_000,
        env: {
          ...process.env,
          CITADEL_SELF_SIGNED_CA_CERT_TTL: `${ROOT_TTL_MS / 1000}s`,
          CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL: '1s',
          CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE: '40',
          CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR: 'false',
        },
      },
    );
    mesh.istiod = {
      child: istiod.child,
      ports: await istiod.ready,
      logs: istiod.logs.lines,
      stop: async () => (await istiod.stop()).code,
    };
    firstRoot = currentRoot();
    const app = await mesh.startApp('backend', BACKEND);
    backend = await mesh.startSidecar({
      name: 'backend-0',
      labels: { app: 'backend' },
      address: BACKEND,
      inbound: { 8080: app },
    });
    frontend = await mesh.startSidecar({
      name: 'frontend-0',
      labels: { app: 'frontend' },
      address: FRONTEND,
    });
    await waitFor(
      async () => (await call()) === 200,
      20_000,
      () => 'backend not reachable before the rotation',
    );
    rootsBefore = [await trustedRoots(frontend), await trustedRoots(backend)];
  }, 60_000);

  afterAll(async () => {
    await mesh.stop();
  });

  it('goes on answering 200 while istiod rotates its root and after the old root expired', async () => {
    expect(rootsBefore).toEqual([[firstRoot.serialNumber], [firstRoot.serialNumber]]);
    const statuses: number[] = [];
    const rotated = async () => currentRoot().serialNumber !== firstRoot.serialNumber;
    // Both sidecars renew under the new root and publish it in their ROOTCA beside the old one.
    await waitFor(
      async () => {
        statuses.push(await call());
        if (!(await rotated())) return false;
        const newSerial = currentRoot().serialNumber;
        return (
          (await trustedRoots(frontend)).includes(newSerial) &&
          (await trustedRoots(backend)).includes(newSerial)
        );
      },
      60_000,
      async () =>
        `the sidecars did not learn the rotated root (rotated: ${await rotated()}; istiod:\n${mesh.istiod?.logs.slice(-10).join('\n')})`,
    );
    expect(mesh.istiod?.logs.some((l) => l.includes('self-signed root rotated (same key)'))).toBe(true);
    // Past the first root's expiry, only the rotated roots can verify anything.
    const afterExpiry = firstRoot.notAfter.getTime() + 1000;
    while (Date.now() < afterExpiry) {
      statuses.push(await call());
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (let i = 0; i < 5; i++) statuses.push(await call());
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(frontend.child.exitCode).toBeNull();
    expect(backend.child.exitCode).toBeNull();
  });
});
