import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials as grpcCredentials, type ServiceError } from '@grpc/grpc-js';
import { CaClient, createCsr, generateKeyPair, STATE_FILES } from '@mesh/pki';
import { afterAll, expect, it } from 'vitest';

import { BIN } from './processes.js';

/**
 * `meshctl local down` stops every process the mesh started, also what a workload started itself
 * (each instance runs in a process group of its own, which is stopped whole), and also when the
 * supervisor is gone (transparent mode's network namespaces too); `local up` refuses a state directory
 * whose processes still run. Either way `down` revokes the join tokens the mesh minted and removes
 * their files: a later `up` starts clean, and a token copied from the old mesh gets no certificate.
 */

const dir = mkdtempSync(join(tmpdir(), 'mesh-down-'));
const stateDir = join(dir, 'state');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meshctl(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [BIN.meshctl, ...args, '--state-dir', stateDir],
      { encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}

/** Whether `pid` runs (a zombie, killed but not yet reaped by whoever adopted it, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// The app starts a helper that ignores SIGTERM (as a worker pool or a shell's child might), then serves.
const APP = `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
const helper = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
writeFileSync('helper.pid', String(helper.pid));
createServer((req, res) => res.end('web')).listen(Number(process.env.PORT), process.env.HOST);
`;

function writeMesh(): void {
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'services.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: default }\nspec:\n  selector: { app: web }\n  ports: [{ name: http, port: 8080, targetPort: 8080 }]\n',
  );
  writeFileSync(join(dir, 'app.mjs'), APP);
  writeFileSync(
    join(dir, 'mesh.yaml'),
    'apiVersion: local.meshctl.dev/v1alpha1\nkind: LocalMesh\nmetadata: { name: down }\nspec:\n  config: [config/]\n  workloads:\n    - name: web\n      labels: { app: web }\n      command: [node, app.mjs]\n      ports: [8080]\n',
  );
}

interface RunJson {
  supervisorPid: number;
  istiod: { pid: number; secureXdsPort: number };
  instances: { appPid: number; proxyPid: number; netns?: string; identity: string }[];
}
const runJson = () => JSON.parse(readFileSync(join(stateDir, 'local', 'run.json'), 'utf8')) as RunJson;

/** What istiod's CA answers a certificate request made with `token`: the refusal, or undefined. */
async function refusal(token: string, run: RunJson): Promise<string | undefined> {
  const client = new CaClient({
    address: `127.0.0.1:${run.istiod.secureXdsPort}`,
    credentials: grpcCredentials.createSsl(readFileSync(join(stateDir, STATE_FILES.rootCert))),
    channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
  });
  try {
    const csr = createCsr({
      privateKey: generateKeyPair().privateKeyPem,
      identity: run.instances[0]!.identity,
    });
    await client.createCertificate({ csr }, { token });
    return undefined;
  } catch (err) {
    return (err as ServiceError).details;
  } finally {
    client.close();
  }
}

const up = () => meshctl(['local', 'up', '-f', join(dir, 'mesh.yaml'), '--detach', '--xds-port', '0']);

it('stops what a workload started, with the workload', async () => {
  writeMesh();
  const started = await up();
  expect(started.code, started.output).toBe(0);
  const helper = Number(readFileSync(join(dir, 'helper.pid'), 'utf8'));
  expect(running(helper)).toBe(true);

  const down = await meshctl(['local', 'down']);
  expect(down.code, down.output).toBe(0);
  for (let i = 0; i < 50 && running(helper); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(running(helper)).toBe(false);
}, 180_000);

it('without its supervisor: up refuses the state directory, down finds and stops every process', async () => {
  writeMesh();
  const started = await up();
  expect(started.code, started.output).toBe(0);
  const run = runJson();
  const tokenFile = join(stateDir, 'local', 'web-0.token');
  const token = readFileSync(tokenFile, 'utf8');
  // The sidecar's token works as long as its mesh runs.
  expect(await refusal(token, run)).toBeUndefined();
  const helper = Number(readFileSync(join(dir, 'helper.pid'), 'utf8'));
  const mesh = [run.istiod.pid, run.instances[0]!.appPid, run.instances[0]!.proxyPid, helper];
  process.kill(run.supervisorPid, 'SIGKILL');
  expect(mesh.filter(running)).toEqual(mesh);

  const second = await up();
  // Refused by the command itself, before --detach would hide the reason in the supervisor's log.
  expect(second.code, second.output).toBe(2);
  expect(second.output).toContain('processes of an earlier mesh still run on');
  expect(mesh.filter(running)).toEqual(mesh);

  const down = await meshctl(['local', 'down']);
  expect(down.code, down.output).toBe(0);
  expect(down.output).toContain(
    "no supervisor was running; stopped 4 process(es) of this state directory's mesh",
  );
  for (let i = 0; i < 50 && mesh.some(running); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(mesh.filter(running)).toEqual([]);
  expect(down.output).toContain('removed 1 token file(s), revoked every join token of the state directory');
  expect(existsSync(tokenFile)).toBe(false);

  // The next mesh on the directory refuses the old mesh's token (its istiod verifies with a new key).
  const again = await up();
  expect(again.code, again.output).toBe(0);
  try {
    expect(await refusal(token, runJson())).toMatch(/signature/);
  } finally {
    expect((await meshctl(['local', 'down'])).code).toBe(0);
  }
}, 300_000);

it('without its supervisor, in transparent mode: down removes the pods’ network namespaces and token directory too', async () => {
  writeMesh();
  const started = await meshctl([
    ...['local', 'up', '-f', join(dir, 'mesh.yaml'), '--detach', '--xds-port', '0', '--transparent'],
  ]);
  expect(started.code, started.output).toBe(0);
  const run = runJson();
  // Outside the state directory, where the sidecars' uid can read them.
  const tokenDir = join(
    tmpdir(),
    `meshctl-${createHash('sha1').update(stateDir).digest('hex').slice(0, 4)}-tokens`,
  );
  expect(existsSync(join(tokenDir, 'web-0.token'))).toBe(true);
  const namespaces = run.instances.map((i) => i.netns ?? 'none');
  const listed = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  expect(namespaces.filter((ns) => listed().includes(ns))).toEqual(namespaces);
  process.kill(run.supervisorPid, 'SIGKILL');

  const down = await meshctl(['local', 'down']);
  expect(down.code, down.output).toBe(0);
  expect(down.output).toContain(`, removed its pods' network namespaces (${namespaces.join(', ')})`);
  expect(down.output).toContain('removed 1 token file(s), revoked every join token of the state directory');
  expect(existsSync(tokenDir)).toBe(false);
  expect(namespaces.filter((ns) => listed().includes(ns))).toEqual([]);
  expect(namespaces.filter((ns) => existsSync(`/etc/netns/${ns}`))).toEqual([]);
}, 240_000);
