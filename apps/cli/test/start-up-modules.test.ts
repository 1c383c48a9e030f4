import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

/**
 * meshctl loads only what the command it runs uses (issue 13: `--version` took 0.86 s because oclif
 * imported every command, and with them the Envoy protos and the Istio schemas). Shown by the modules
 * a run loads, recorded by a module hook, not by timing it; `npm run bench -- cli` measures the time.
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-start-up-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Appends the URL of every module loaded (import or require) to $MODULES_LOG. */
const RECORDER = join(dir, 'record-modules.mjs');
writeFileSync(
  RECORDER,
  `import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
registerHooks({
  load(url, context, nextLoad) {
    appendFileSync(process.env.MODULES_LOG, url + '\\n');
    return nextLoad(url, context);
  },
});
`,
);

let runs = 0;
/** The modules `meshctl <args>` loads, as paths relative to the workspace (node_modules/... included). */
function modulesLoadedBy(args: string[], expectedCode = 0): string[] {
  const log = join(dir, `modules-${runs++}.txt`);
  const result = spawnSync(process.execPath, ['--import', RECORDER, MESHCTL, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, MODULES_LOG: log },
  });
  expect(result.status, result.stderr).toBe(expectedCode);
  const workspace = join(import.meta.dirname, '..', '..', '..');
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file://'))
    .map((url) => new URL(url).pathname.replace(`${workspace}/`, ''));
}

/** Envoy's protos and their gRPC stack, the Istio schemas and YAML: what made every command slow. */
const HEAVY = [/^libs\/(xds|policy|registry|pki|kube)\//, /^node_modules\/(protobufjs|@grpc|typebox|yaml)\//];
const heavy = (modules: string[]) => modules.filter((m) => HEAVY.some((pattern) => pattern.test(m)));

describe('meshctl start-up', () => {
  it('--version loads no command and no library of the mesh', () => {
    const modules = modulesLoadedBy(['--version']);
    expect(modules.filter((m) => m.startsWith('apps/cli/dist/'))).toEqual([]);
    expect(heavy(modules)).toEqual([]);
  });

  it('local status loads its own command only, and no mesh library before it knows a mesh runs', () => {
    const noMesh = join(dir, 'no-mesh');
    mkdirSync(noMesh);
    const modules = modulesLoadedBy(['local', 'status', '--state-dir', noMesh], 3);
    expect(modules.filter((m) => m.startsWith('apps/cli/dist/commands/'))).toEqual([
      'apps/cli/dist/commands/local/status.js',
    ]);
    expect(heavy(modules)).toEqual([]);
  });

  it('validate loads the Istio schemas, not the Envoy protos (nor protobufjs) without an EnvoyFilter value', () => {
    const file = join(dir, 'vs.yaml');
    writeFileSync(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: r }\n' +
        'spec: { hosts: [r], http: [{ route: [{ destination: { host: r } }] }] }\n',
    );
    const modules = modulesLoadedBy(['validate', '-f', file]);
    expect(modules.some((m) => m.startsWith('libs/policy/'))).toBe(true);
    // The EnvoyFilter patch check is imported; it loads protobufjs and the protos only for a patch value.
    const xds = (m: string) => /^libs\/xds\/(?!dist\/(envoy-filter|codec\/proto-files)[/.])/.test(m);
    expect(modules.filter((m) => xds(m) || /^node_modules\/(protobufjs|@grpc)\//.test(m))).toEqual([]);
  });
});
