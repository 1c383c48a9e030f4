import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createJoinToken, joinTokenId, verifyJoinToken } from './join-token.js';
import { JoinTokenTrust, revokeAllJoinTokens, revokeJoinTokenIds } from './join-token-trust.js';
import { STATE_FILES } from './state-layout.js';

const state = mkdtempSync(join(tmpdir(), 'join-token-trust-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

const identity = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'checkout' };

async function mint(ttlSeconds = 3600): Promise<string> {
  return createJoinToken({
    signingKeyPem: readFileSync(join(state, STATE_FILES.joinTokenKey), 'utf8'),
    identity,
    ttlSeconds,
  });
}

describe('join-token trust of a state directory', () => {
  const trust = new JoinTokenTrust(state);
  const verify = (token: string) =>
    verifyJoinToken(token, {
      verificationKey: trust.verificationKey(),
      trustDomain: 'cluster.local',
      maxTtlSeconds: 7 * 86400,
      revoked: trust.revokedIds(),
    });

  it('creates the signing key (0600) and accepts what it signs, each token with its own id', async () => {
    trust.verificationKey();
    expect(statSync(join(state, STATE_FILES.joinTokenKey)).mode & 0o777).toBe(0o600);
    const [a, b] = [await mint(), await mint()];
    expect((await verify(a)).id).toBe(joinTokenId(a));
    expect(joinTokenId(a)).not.toBe(joinTokenId(b));
  });

  it('refuses a token living longer than the maximum', async () => {
    await expect(verify(await mint(100 * 365 * 86400))).rejects.toThrow(/longer than the 604800s allowed/);
    await expect(verify(await mint(7 * 86400))).resolves.toMatchObject({ identity });
  });

  it('refuses a revoked id at once, and every token after the key is replaced', async () => {
    const [stolen, kept] = [await mint(), await mint()];
    expect(revokeJoinTokenIds(state, [joinTokenId(stolen)!])).toBe(1);
    expect(revokeJoinTokenIds(state, [joinTokenId(stolen)!])).toBe(0);
    await expect(verify(stolen)).rejects.toThrow(/has been revoked/);
    await expect(verify(kept)).resolves.toMatchObject({ identity });
    expect(statSync(join(state, STATE_FILES.joinTokenRevocations)).mode & 0o777).toBe(0o600);

    revokeAllJoinTokens(state);
    await expect(verify(kept)).rejects.toThrow(/signature/);
    await expect(verify(await mint())).resolves.toMatchObject({ identity });
  });
});
