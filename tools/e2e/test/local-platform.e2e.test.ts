import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from './mesh-processes.js';
import { BIN } from './processes.js';

/**
 * The seed walkthroughs on the local platform, in explicit mode and in transparent mode (network
 * namespaces and iptables; needs root, as CI runs), driven through `meshctl local` as a user would: STRICT mTLS refusing a sidecar-less client, service-account and namespace authorization, a
 * 90/10 canary switched to 0/100 with `local apply`, and the platform's behaviour when istiod or an app
 * instance dies.
 */

const APP = `import { createServer } from 'node:http';
createServer((req, res) => res.end(JSON.stringify({ pod: process.env.POD_NAME, path: req.url })))
  .listen(Number(process.env.PORT), process.env.HOST);
`;
const IDLE = 'setInterval(() => undefined, 1 << 30);\n';

const workload = (name: string, extra: string) => `    - name: ${name}\n${extra}`;
const MESH = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: walkthroughs }
spec:
  config: [config/]
  workloads:
${workload('frontend', '      labels: { app: frontend }\n      command: [node, idle.mjs]')}
${workload('other', '      labels: { app: other }\n      command: [node, idle.mjs]')}
${workload('fe-client', '      namespace: frontend-ns\n      labels: { app: fe-client }\n      command: [node, idle.mjs]')}
${workload('outsider', '      labels: { app: outsider }\n      command: [node, idle.mjs]\n      sidecar: false')}
${workload('backend', '      labels: { app: backend }\n      command: [node, app.mjs]\n      ports: [8080]\n      replicas: 2')}
${workload('web-v1', '      serviceAccount: web\n      labels: { app: web, version: v1 }\n      command: [node, app.mjs]\n      ports: [8080]')}
${workload('web-v2', '      serviceAccount: web\n      labels: { app: web, version: v2 }\n      command: [node, app.mjs]\n      ports: [8080]')}
`;

const SERVICES = ['backend', 'web']
  .map(
    (name) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
`,
  )
  .join('---\n');

const canary = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: default }
spec:
  host: web
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web]
  http:
    - route:
        - { destination: { host: web, subset: v1 }, weight: ${v1} }
        - { destination: { host: web, subset: v2 }, weight: ${v2} }
`;

describe.each(['explicit', 'transparent'] as const)('%s mode', (mode) => {
  const dir = mkdtempSync(join(tmpdir(), `mesh-local-${mode}-`));
  const stateDir = join(dir, 'state');

  interface Result {
    code: number;
    stdout: string;
    stderr: string;
  }

  /** meshctl on this test's state directory (through MESH_STATE_DIR, so flags after `--` stay the command's). */
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

  /** `count` requests from a workload (one `local exec`), returning one `<status> <body>` line each. */
  async function fromWorkload(name: string, url: string, count = 1, method = 'GET'): Promise<string[]> {
    const script = `for i in $(seq ${count}); do curl -s -m 5 -X ${method} -w ' %{http_code}\\n' '${url}'; done`;
    const result = await meshctl(['local', 'exec', name, '--', 'sh', '-c', script]);
    return result.stdout.replace(/\n$/, '').split('\n');
  }

  function apply(file: string, yaml: string): Promise<Result> {
    writeFileSync(join(dir, file), yaml);
    return meshctl(['local', 'apply', '-f', join(dir, file)]);
  }

  function runState(): {
    istiod: { pid: number };
    instances: { instance: string; address: string; appPid: number }[];
  } {
    return JSON.parse(readFileSync(join(stateDir, 'local', 'run.json'), 'utf8'));
  }

  beforeAll(async () => {
    writeFileSync(join(dir, 'mesh.yaml'), MESH);
    writeFileSync(join(dir, 'app.mjs'), APP);
    writeFileSync(join(dir, 'idle.mjs'), IDLE);
    await import('node:fs').then((fs) => fs.mkdirSync(join(dir, 'config')));
    writeFileSync(join(dir, 'config', 'services.yaml'), SERVICES);
    writeFileSync(join(dir, 'config', 'canary.yaml'), canary(90, 10));
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

  describe('status', () => {
    it('lists every workload instance with identity, address, proxy readiness and xDS sync', async () => {
      const status = JSON.parse((await meshctl(['local', 'status', '-o', 'json'])).stdout) as {
        workloads: { instance: string; identity: string; proxy: string; xds: string; mtls: string }[];
      };
      expect(status.workloads.map((w) => w.instance).sort()).toEqual(
        [
          'backend-0',
          'backend-1',
          'fe-client-0',
          'frontend-0',
          'other-0',
          'outsider-0',
          'web-v1-0',
          'web-v2-0',
        ].sort(),
      );
      const feClient = status.workloads.find((w) => w.instance === 'fe-client-0');
      expect(feClient).toMatchObject({
        identity: 'spiffe://cluster.local/ns/frontend-ns/sa/fe-client',
        proxy: 'ready',
        xds: 'synced',
        mtls: 'PERMISSIVE', // read from the listeners the sidecar holds (in its network namespace)
      });
      expect(status.workloads.find((w) => w.instance === 'outsider-0')).toMatchObject({ proxy: 'none' });
    });
  });

  describe('seed walkthroughs', () => {
    it('STRICT PeerAuthentication refuses a sidecar-less client; PERMISSIVE lets it in', async () => {
      const backend = runState().instances.find((i) => i.instance === 'backend-0');
      const direct = `http://${backend?.address}:8080/plain`;
      expect((await fromWorkload('outsider', direct))[0]).toMatch(/ 200$/);
      await apply(
        'mtls.yaml',
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: default }\nspec:\n  mtls: { mode: STRICT }\n',
      );
      await waitFor(
        async () => (await fromWorkload('outsider', direct))[0] === ' 000',
        10_000,
        () => 'STRICT not enforced',
      );
      expect((await fromWorkload('frontend', 'http://backend:8080/meshed'))[0]).toMatch(/ 200$/);
      await apply(
        'mtls.yaml',
        'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: default }\nspec:\n  mtls: { mode: PERMISSIVE }\n',
      );
      await waitFor(
        async () => / 200$/.test((await fromWorkload('outsider', direct))[0] ?? ''),
        10_000,
        () => 'PERMISSIVE not applied',
      );
    });

    it('only the frontend service account may GET/POST /api/* on the backend', async () => {
      await apply(
        'authz.yaml',
        `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: backend-api, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/default/sa/frontend"] } }]
      to: [{ operation: { methods: ["GET", "POST"], paths: ["/api/*"] } }]
`,
      );
      await waitFor(
        async () =>
          (await fromWorkload('other', 'http://backend:8080/api/items'))[0] === 'RBAC: access denied 403',
        10_000,
        () => 'policy not applied',
      );
      expect((await fromWorkload('frontend', 'http://backend:8080/api/items'))[0]).toMatch(
        /"path":"\/api\/items"} 200$/,
      );
      expect((await fromWorkload('frontend', 'http://backend:8080/api/items', 1, 'POST'))[0]).toMatch(
        / 200$/,
      );
      expect((await fromWorkload('frontend', 'http://backend:8080/admin'))[0]).toBe(
        'RBAC: access denied 403',
      );
      expect((await fromWorkload('frontend', 'http://backend:8080/api/items', 1, 'DELETE'))[0]).toBe(
        'RBAC: access denied 403',
      );
    });

    it('a namespace-based policy admits only callers from frontend-ns', async () => {
      // Beside the previous test's policy (neither admits frontend to /x): apply tracks resources by
      // identity, so both are in force until both files are deleted.
      await apply(
        'authz-ns.yaml',
        `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: backend-from-frontend-ns, namespace: default }
spec:
  selector: { matchLabels: { app: backend } }
  action: ALLOW
  rules:
    - from: [{ source: { namespaces: ["frontend-ns"] } }]
`,
      );
      await waitFor(
        async () =>
          /"path":"\/x"} 200$/.test(
            (await fromWorkload('fe-client', 'http://backend.default:8080/x'))[0] ?? '',
          ),
        10_000,
        () => 'policy not applied',
      );
      expect((await fromWorkload('frontend', 'http://backend:8080/x'))[0]).toBe('RBAC: access denied 403');
      const files = ['authz.yaml', 'authz-ns.yaml'].flatMap((file) => ['-f', join(dir, file)]);
      expect((await meshctl(['local', 'delete', ...files])).code).toBe(0);
    });

    it('splits 90/10, then sends everything to v2 within 1 s of local apply', async () => {
      const pods = (lines: string[]) => lines.map((l) => /"pod":"(web-v\d)/.exec(l)?.[1] ?? 'failed');
      const first = pods(await fromWorkload('frontend', 'http://web:8080/', 200));
      const v1 = first.filter((p) => p === 'web-v1').length;
      expect(first.filter((p) => p === 'failed')).toEqual([]);
      expect(v1).toBeGreaterThan(165);
      expect(v1).toBeLessThan(195);
      // One round of 10 requests through meshctl, timed: the switch is seen at most two rounds after it.
      const started = Date.now();
      await fromWorkload('frontend', 'http://web:8080/', 10);
      const round = Date.now() - started;
      expect((await apply('canary.yaml', canary(0, 100))).code).toBe(0);
      const applied = Date.now();
      await waitFor(
        async () => pods(await fromWorkload('frontend', 'http://web:8080/', 10)).every((p) => p === 'web-v2'),
        10_000,
        () => 'not switched',
      );
      // istiod sees the change at once and the sidecars apply it within ~0.2 s; a change seen only by
      // istiod's 5 s poll (a file replaced by rename escaped Node's recursive watch) fails this bound.
      expect(Date.now() - applied).toBeLessThan(1_000 + 2 * round);
    });

    it('reports an invalid file with file:line and changes nothing', async () => {
      const result = await apply(
        'bad.yaml',
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: web, namespace: default }\nspec:\n  hosts: [web]\n  http:\n    - route:\n        - destination: { host: web }\n          weight: -5\n',
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${join(dir, 'bad.yaml')}:9`);
      expect(result.stderr).toContain('spec.http[0].route[0].weight');
      expect((await fromWorkload('frontend', 'http://web:8080/', 5)).every((l) => l.includes('web-v2'))).toBe(
        true,
      );
    });
  });

  describe('robustness', () => {
    it('keeps serving while istiod is down, and the platform restarts it', async () => {
      const before = runState().istiod.pid;
      process.kill(before, 'SIGKILL');
      expect((await fromWorkload('frontend', 'http://web:8080/', 5)).every((l) => / 200$/.test(l))).toBe(
        true,
      );
      await waitFor(
        () => runState().istiod.pid !== before,
        20_000,
        () => 'istiod not restarted',
      );
      expect((await apply('canary.yaml', canary(100, 0))).code).toBe(0);
      await waitFor(
        async () =>
          (await fromWorkload('frontend', 'http://web:8080/', 5)).every((l) => l.includes('web-v1')),
        20_000,
        () => 'not converged after restart',
      );
    }, 60_000);

    it('an app instance killed leaves the load balancers within 5 s', async () => {
      const victim = runState().instances.find((i) => i.instance === 'backend-1');
      if (!victim) throw new Error('no backend-1');
      process.kill(victim.appPid, 'SIGKILL');
      const killed = Date.now();
      await waitFor(
        async () =>
          (await fromWorkload('frontend', 'http://backend:8080/lb', 10)).every(
            (l) => l.includes('"pod":"backend-0"') && / 200$/.test(l),
          ),
        15_000,
        () => 'endpoint not removed',
      );
      expect(Date.now() - killed).toBeLessThan(5_000 + 1_500);
    }, 30_000);
  });
});
