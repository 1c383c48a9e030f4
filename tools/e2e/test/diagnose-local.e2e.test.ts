import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from './mesh-processes.js';
import { BIN } from './processes.js';

/**
 * `meshctl tls-check` and `meshctl authz check` on a running local mesh with the
 * seed's frontend/backend under namespace STRICT and `allow-frontend-to-backend`: what they say is
 * what the real sidecars do — the backend's answers 200 and 403 for the same requests, and the
 * frontend's sidecar reports the mTLS connection (and the server identity it verified) tls-check
 * shows as its live proof; a DestinationRule that disables TLS is a CONFLICT, and the live proof
 * then shows the plaintext connection the STRICT server refuses. proxy-status and proxy-config read
 * istiod's sync state and a sidecar's admin. In explicit mode, and in transparent mode (network
 * namespaces: the sidecar admin is asked inside the pod's; needs root, as CI runs).
 */

const APP = `import { createServer } from 'node:http';
createServer((req, res) => res.end(JSON.stringify({ path: req.url })))
  .listen(Number(process.env.PORT), process.env.HOST);
`;
const IDLE = 'setInterval(() => undefined, 1 << 30);\n';

const MESH = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: diagnose }
spec:
  config: [config/]
  workloads:
    - name: frontend
      labels: { app: frontend }
      command: [node, idle.mjs]
    - name: other
      labels: { app: other }
      command: [node, idle.mjs]
    - name: backend
      labels: { app: backend }
      command: [node, app.mjs]
      ports: [8080]
`;

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  selector: { app: backend }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default-strict-mtls, namespace: default }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-frontend-to-backend, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/default/sa/frontend"] } }]
      to: [{ operation: { methods: ["GET", "POST"], paths: ["/api/*"] } }]
`;

const DISABLE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: backend, namespace: default }
spec:
  host: backend
  trafficPolicy: { tls: { mode: DISABLE } }
`;

const BACKEND_CLUSTER = 'outbound|8080||backend.default.svc.cluster.local';

describe.each(['explicit', 'transparent'] as const)('%s mode', (mode) => {
  const dir = mkdtempSync(join(tmpdir(), `mesh-diagnose-${mode}-`));
  const stateDir = join(dir, 'state');

  interface Result {
    code: number;
    stdout: string;
    stderr: string;
  }

  function meshctl(args: string[]): Promise<Result> {
    return new Promise((resolve) =>
      execFile(
        process.execPath,
        [BIN.meshctl, ...args],
        { timeout: 120_000, env: { ...process.env, MESH_STATE_DIR: stateDir } },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  }

  /** One request from a workload through its sidecar: `<body> <status>`. */
  async function fromWorkload(name: string, url: string): Promise<string> {
    const script = `curl -s -m 5 -w ' %{http_code}' '${url}'`;
    return (await meshctl(['local', 'exec', name, '--', 'sh', '-c', script])).stdout;
  }

  beforeAll(async () => {
    writeFileSync(join(dir, 'mesh.yaml'), MESH);
    writeFileSync(join(dir, 'app.mjs'), APP);
    writeFileSync(join(dir, 'idle.mjs'), IDLE);
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'seed.yaml'), CONFIG);
    const up = await meshctl([
      'local',
      'up',
      '-f',
      join(dir, 'mesh.yaml'),
      '--detach',
      '--xds-port',
      '0',
      ...(mode === 'transparent' ? ['--transparent'] : []),
    ]);
    if (up.code !== 0) throw new Error(`local up failed:\n${up.stdout}\n${up.stderr}`);
  }, 150_000);

  afterAll(async () => {
    const down = await meshctl(['local', 'down']);
    expect(down.code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('authz check agrees with the real sidecar', () => {
    it("allows frontend's GET /api/data by allow-frontend-to-backend, and the sidecar answers 200", async () => {
      const check = await meshctl([
        'authz',
        'check',
        'backend',
        '--from',
        'frontend',
        '--path',
        '/api/data',
        '-o',
        'json',
      ]);
      expect(check.code, check.stderr).toBe(0);
      expect(JSON.parse(check.stdout)).toMatchObject({
        instance: 'backend-0',
        policies: [{ action: 'ALLOW', name: 'allow-frontend-to-backend', namespace: 'default', rules: 1 }],
        result: {
          decision: 'ALLOW',
          rule: { key: 'ns[default]-policy[allow-frontend-to-backend]-rule[0]' },
        },
      });
      expect(await fromWorkload('frontend', 'http://backend:8080/api/data')).toBe('{"path":"/api/data"} 200');
    });

    it('denies other by default, and the sidecar answers 403 RBAC: access denied', async () => {
      const check = await meshctl(['authz', 'check', 'backend-0', '--from', 'other', '--path', '/api/data']);
      expect(check.code).toBe(1);
      expect(check.stdout).toContain(
        'Decision: DENY\n  denied by default: ALLOW policies apply and none of their rules matches',
      );
      expect(await fromWorkload('other', 'http://backend:8080/api/data')).toBe('RBAC: access denied 403');
    });
  });

  describe('proxy-status and proxy-config', () => {
    it('every sidecar is SYNCED on CDS, EDS, LDS and RDS', async () => {
      const status = await meshctl(['proxy-status', '-o', 'json']);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      const proxies = JSON.parse(status.stdout).proxies as { name: string; types: Record<string, string> }[];
      expect(proxies.map((p) => p.name)).toEqual([
        'backend-0.default',
        'frontend-0.default',
        'other-0.default',
      ]);
      for (const proxy of proxies)
        expect(proxy.types).toMatchObject({ CDS: 'SYNCED', EDS: 'SYNCED', LDS: 'SYNCED', RDS: 'SYNCED' });
    });

    it("summarizes frontend's clusters, endpoints and secrets from its admin", async () => {
      const clusters = await meshctl(['proxy-config', 'cluster', 'frontend']);
      expect(clusters.stdout).toMatch(/^backend\.default\.svc\.cluster\.local +8080 +- +outbound +EDS +-$/m);
      const endpoints = JSON.parse(
        (await meshctl(['proxy-config', 'endpoint', 'frontend-0', '-o', 'json'])).stdout,
      );
      expect(endpoints.rows).toContainEqual(
        expect.objectContaining({ CLUSTER: BACKEND_CLUSTER, STATUS: 'HEALTHY' }),
      );
      const secrets = JSON.parse(
        (await meshctl(['proxy-config', 'secret', 'frontend', '-o', 'json'])).stdout,
      );
      expect(
        secrets.rows.map((r: Record<string, string>) => [r['RESOURCE NAME'], r['TYPE'], r['VALID CERT']]),
      ).toEqual([
        ['default', 'Cert Chain', 'true'],
        ['ROOTCA', 'CA', 'true'],
      ]);
    });
  });

  describe('describe pod', () => {
    it("names backend's service, the STRICT mode that default-strict-mtls sets and the policy its sidecar enforces", async () => {
      const described = await meshctl(['describe', 'pod', 'backend-0.default', '-o', 'json']);
      expect(described.code).toBe(0);
      expect(JSON.parse(described.stdout)).toMatchObject({
        source: 'local',
        instance: 'backend-0',
        services: [{ host: 'backend.default.svc.cluster.local', virtualServices: [] }],
        mtls: { mode: 'STRICT', setBy: 'default-strict-mtls.default' },
        policies: [{ action: 'ALLOW', name: 'allow-frontend-to-backend', namespace: 'default', rules: 1 }],
      });
      const table = await meshctl(['describe', 'pod', 'frontend']);
      expect(table.stdout).toContain('Warning: No Services select pod frontend-0');
    });
  });

  describe('tls-check', () => {
    it('is OK under STRICT with auto-mTLS, and its live proof is the mTLS connection to the backend', async () => {
      expect(await fromWorkload('frontend', 'http://backend:8080/api/live')).toMatch(/ 200$/);
      const check = await meshctl(['tls-check', 'frontend', 'backend', '-o', 'json']);
      expect(check.code, check.stderr).toBe(0);
      const result = JSON.parse(check.stdout);
      expect(result.rows).toHaveLength(1);
      expect(result.rows[0]).toMatchObject({
        cluster: BACKEND_CLUSTER,
        status: 'OK',
        client: 'AUTO',
        endpoints: [{ sends: 'ISTIO_MUTUAL', server: 'STRICT', policy: 'default-strict-mtls.default' }],
        live: {
          last: {
            tls: 'ISTIO_MUTUAL',
            outcome: 'connected',
            peer: 'spiffe://cluster.local/ns/default/sa/backend',
          },
        },
      });
      const table = await meshctl(['tls-check', 'frontend-0']);
      expect(table.stdout).toMatch(
        /backend\.default\.svc\.cluster\.local:8080 +OK +STRICT +AUTO +default-strict-mtls\.default +- +mTLS, peer spiffe:\/\/cluster\.local\/ns\/default\/sa\/backend/,
      );
    });

    it('is a CONFLICT when a DestinationRule disables TLS, and the live proof shows the plaintext attempt', async () => {
      writeFileSync(join(dir, 'dr.yaml'), DISABLE);
      const applied = await meshctl(['local', 'apply', '-f', join(dir, 'dr.yaml')]);
      expect(applied.code, applied.stderr).toBe(0);
      const check = await meshctl(['tls-check', 'frontend', 'backend']);
      expect(check.code).toBe(1);
      expect(check.stdout).toContain('STRICT server refuses plaintext, and the client sends plaintext');
      // Once frontend's sidecar has the rule, its requests go out in plaintext and the backend refuses them.
      await waitFor(
        async () => {
          await fromWorkload('frontend', 'http://backend:8080/api/plain');
          const live = JSON.parse((await meshctl(['tls-check', 'frontend', 'backend', '-o', 'json'])).stdout);
          return live.rows[0]?.live?.last?.tls === 'plaintext';
        },
        15_000,
        async () => (await meshctl(['tls-check', 'frontend', 'backend'])).stdout,
      );
      expect(await fromWorkload('frontend', 'http://backend:8080/api/plain')).not.toMatch(/ 200$/);
    });
  });
});
