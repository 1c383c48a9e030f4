import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { STATE_FILES, verifyJoinToken } from '@mesh/pki';
import { afterAll, describe, expect, it } from 'vitest';

/** The built CLI, exactly what `npx meshctl` runs. */
const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const state = mkdtempSync(join(tmpdir(), 'meshctl-state-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

function meshctl(args: string[]) {
  return spawnSync(process.execPath, [MESHCTL, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('meshctl local token create', () => {
  it('prints a join token for the identity, creating the signing key (0600) in a fresh state dir', async () => {
    const result = meshctl([
      'local',
      'token',
      'create',
      '-n',
      'default',
      '--sa',
      'productpage',
      '--state-dir',
      state,
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const token = result.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const keyFile = join(state, STATE_FILES.joinTokenKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const claims = await verifyJoinToken(token, {
      verificationKey: readFileSync(keyFile, 'utf8'),
      trustDomain: 'cluster.local',
    });
    expect(claims.identity).toEqual({
      trustDomain: 'cluster.local',
      namespace: 'default',
      serviceAccount: 'productpage',
    });
    const lifetimeHours = (claims.expiresAt.getTime() - claims.issuedAt.getTime()) / 3600_000;
    expect(lifetimeHours).toBe(24);
  });

  it('reuses the key, honours --ttl and -o json', async () => {
    const before = readFileSync(join(state, STATE_FILES.joinTokenKey), 'utf8');
    const result = meshctl([
      'local',
      'token',
      'create',
      '-n',
      'backend',
      '--sa',
      'api',
      '--ttl',
      '90m',
      '-o',
      'json',
      '--state-dir',
      state,
    ]);
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { token: string; identity: string; keyCreated: boolean };
    expect(output.identity).toBe('spiffe://cluster.local/ns/backend/sa/api');
    expect(output.keyCreated).toBe(false);
    expect(readFileSync(join(state, STATE_FILES.joinTokenKey), 'utf8')).toBe(before);
    const claims = await verifyJoinToken(output.token, {
      verificationKey: before,
      trustDomain: 'cluster.local',
    });
    expect((claims.expiresAt.getTime() - claims.issuedAt.getTime()) / 60_000).toBe(90);
  });

  it('rejects a bad TTL and missing flags with exit code 2', () => {
    const badTtl = meshctl([
      'local',
      'token',
      'create',
      '-n',
      'default',
      '--sa',
      'x',
      '--ttl',
      'soon',
      '--state-dir',
      state,
    ]);
    expect(badTtl.status).toBe(2);
    expect(badTtl.stderr).toContain('--ttl: "soon" is not a duration');
    const missing = meshctl(['local', 'token', 'create', '--sa', 'x', '--state-dir', state]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/Missing required flag[\s\S]*namespace/);
  });
});
