import { existsSync, mkdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { LAST_GOOD_FILE, type ConfigEvent } from '@mesh/policy';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { FileConfigStore } from '../src/config/file-config-store.js';
import { tempDir } from './istiod-harness.js';

/** Fail closed on config: a broken file keeps the policies it enforced (DESIGN.md §12). */

const ALLOW = (principal: string, action = 'ALLOW') => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: backend-allow
  namespace: default
spec:
  selector:
    matchLabels: {app: backend}
  action: ${action}
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/${principal}"]
`;

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: backend, namespace: default}
spec:
  ports: [{port: 8080, name: http}]
`;

const SYNTAX_ERROR = `${ALLOW('frontend')}  - to: [unclosed\n`;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FileConfigStore keeps the last good version of a resource', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function dirs() {
    const configDir = tempDir('config-last-good-');
    const stateDir = tempDir('state-last-good-');
    cleanups.push(() => [configDir, stateDir].forEach((d) => rmSync(d, { recursive: true, force: true })));
    return { configDir, stateDir };
  }

  async function open(configDir: string, stateDir: string) {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const store = new FileConfigStore(configDir, logger, { debounceMs: 20, pollMs: 200, stateDir });
    const events: ConfigEvent[] = [];
    store.subscribe((e) => events.push(e));
    await store.start();
    cleanups.unshift(() => store.close());
    return { store, events, lines };
  }

  const principal = (store: FileConfigStore) =>
    JSON.stringify(store.get('AuthorizationPolicy', 'default', 'backend-allow')?.object['spec']).match(
      /sa\/(\w+)/,
    )?.[1];

  it('through a YAML syntax error and a schema error, until a valid change or the deletion of the file', async () => {
    const { configDir, stateDir } = dirs();
    const file = join(configDir, 'authz.yaml');
    writeFileSync(file, `${ALLOW('frontend')}---\n${SERVICE}`);
    const { store, events, lines } = await open(configDir, stateDir);
    const inForce = store.get('AuthorizationPolicy', 'default', 'backend-allow');
    events.length = 0;

    writeFileSync(file, `${SYNTAX_ERROR}---\n${SERVICE}`);
    await until(() => store.status().stale.length === 1, 'the syntax error to be read');
    expect(store.get('AuthorizationPolicy', 'default', 'backend-allow')).toBe(inForce);
    expect(store.status().invalid.map((f) => f.code)).toEqual(['YAML_SYNTAX']);
    expect(store.status().stale).toEqual([
      {
        kind: 'AuthorizationPolicy',
        namespace: 'default',
        name: 'backend-allow',
        source: { file: 'authz.yaml', line: 1 },
        reason: expect.stringMatching(
          /^authz\.yaml has errors that hide which resources it defines: Error \[YAML_SYNTAX\] \(authz\.yaml:15\) Flow sequence in block collection must be sufficiently indented and end with a \]; last good version kept$/,
        ),
      },
    ]);
    expect(
      lines.some((l) =>
        l.includes('last good version kept: AuthorizationPolicy default/backend-allow (authz.yaml:1)'),
      ),
    ).toBe(true);

    writeFileSync(file, `${ALLOW('frontend', 'ALLOWW')}---\n${SERVICE}`);
    await until(() => store.status().invalid[0]?.code === 'SCHEMA_ENUM', 'the schema error to be read');
    expect(store.get('AuthorizationPolicy', 'default', 'backend-allow')).toBe(inForce);
    expect(store.status().stale[0]?.reason).toMatch(
      /^its new version is invalid: Error \[SCHEMA_ENUM\] \(AuthorizationPolicy default\/backend-allow authz\.yaml:9\) spec\.action: .*; last good version kept$/,
    );
    // The Service moved a line down and back (an update); the policy never changed.
    expect(events.filter((e) => e.config.kind === 'AuthorizationPolicy')).toEqual([]);

    writeFileSync(file, `${ALLOW('checkout')}---\n${SERVICE}`);
    await until(() => principal(store) === 'checkout', 'the fix to apply');
    expect(store.status()).toMatchObject({ invalid: [], stale: [] });

    unlinkSync(file);
    await until(() => store.list().length === 0, 'the deletion');
    expect(
      events
        .map((e) => `${e.type} ${e.config.kind}`)
        .slice(-2)
        .sort(),
    ).toEqual(['delete AuthorizationPolicy', 'delete Service']);
  });

  it('removes a resource when its file parses cleanly without it, and keeps it through a typo in its kind', async () => {
    const { configDir, stateDir } = dirs();
    const file = join(configDir, 'authz.yaml');
    writeFileSync(file, `${ALLOW('frontend')}---\n${SERVICE}`);
    const { store } = await open(configDir, stateDir);

    writeFileSync(
      file,
      `${ALLOW('frontend').replace('kind: AuthorizationPolicy', 'kind: AuthorizationPolicyy')}---\n${SERVICE}`,
    );
    await until(() => store.status().invalid.length === 1, 'the typo to be read');
    expect(store.status().invalid[0]?.message).toBe(
      'no matches for kind "AuthorizationPolicyy" in version "security.istio.io/v1"',
    );
    expect(principal(store)).toBe('frontend');

    writeFileSync(file, SERVICE);
    await until(
      () => store.get('AuthorizationPolicy', 'default', 'backend-allow') === undefined,
      'the removal',
    );
    expect(store.status()).toMatchObject({ invalid: [], stale: [] });
  });

  it('across a restart, from an owner-only copy in the state directory', async () => {
    const { configDir, stateDir } = dirs();
    const file = join(configDir, 'authz.yaml');
    writeFileSync(file, ALLOW('frontend'));
    writeFileSync(join(configDir, 'gone.yaml'), SERVICE);
    const first = await open(configDir, stateDir);
    writeFileSync(file, ALLOW('frontend', 'ALLOWW'));
    await until(() => first.store.status().stale.length === 1, 'the schema error to be read');
    first.store.close();
    expect(statSync(join(stateDir, LAST_GOOD_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, LAST_GOOD_FILE, '..')).mode & 0o777).toBe(0o700);

    // Broken while istiod was down, and another file deleted meanwhile.
    writeFileSync(file, SYNTAX_ERROR);
    unlinkSync(join(configDir, 'gone.yaml'));
    const second = await open(configDir, stateDir);
    expect(principal(second.store)).toBe('frontend');
    expect(second.store.get('Service', 'default', 'backend')).toBeUndefined();
    expect(second.store.status().stale.map((s) => s.name)).toEqual(['backend-allow']);
    second.store.close();

    writeFileSync(file, SERVICE);
    const third = await open(configDir, stateDir);
    expect(third.store.list().map((c) => c.kind)).toEqual(['Service']);
  });

  it('keeps its copy out of a config directory inside the state directory (the local platform)', async () => {
    const { stateDir } = dirs();
    const configDir = join(stateDir, 'config');
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'authz.yaml'), ALLOW('frontend'));
    const first = await open(configDir, stateDir);
    await until(() => existsSync(join(stateDir, LAST_GOOD_FILE)), 'the copy to be saved');
    first.store.close();
    const second = await open(configDir, stateDir);
    expect(second.store.status().invalid).toEqual([]);
    expect(second.store.list().map((c) => c.kind)).toEqual(['AuthorizationPolicy']);
    second.store.close();
  });

  it('keeps what a file defined when it grows past the size limit', async () => {
    const { configDir, stateDir } = dirs();
    mkdirSync(join(configDir, 'policies'));
    const file = join(configDir, 'policies', 'authz.yaml');
    writeFileSync(file, ALLOW('frontend'));
    const { store } = await open(configDir, stateDir);
    writeFileSync(file, `${ALLOW('frontend')}#${'x'.repeat(10 * 1024 * 1024)}\n`);
    await until(() => store.status().invalid[0]?.code === 'SIZE_LIMIT', 'the oversize file to be seen');
    expect(principal(store)).toBe('frontend');
    expect(store.status().stale[0]?.reason).toContain('above the limit of 10 MiB');
  });
});
