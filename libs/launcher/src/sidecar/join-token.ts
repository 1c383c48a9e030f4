import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import {
  createJoinToken,
  formatSpiffeId,
  generateJoinTokenKey,
  joinTokenId,
  readOrCreateSecretFile,
  STATE_FILES,
  type SpiffeIdentity,
} from '@mesh/pki';

/** istiod's default `--max-join-token-ttl`: it refuses tokens that live longer. */
export const DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS = 7 * 86400;

export interface MintedJoinToken {
  token: string;
  id: string;
  identity: string;
  expiresAt: Date;
  keyFile: string;
  keyCreated: boolean;
}

/**
 * A join token for a workload identity, signed with the key in the state directory (created there if
 * istiod has not yet), which istiod started on the same directory accepts for that identity. The one
 * place tokens are minted: `meshctl local token create`, `meshctl local up` and the launcher's users.
 */
export async function mintJoinToken(
  stateDir: string,
  identity: SpiffeIdentity,
  ttlSeconds: number,
  now = new Date(),
): Promise<MintedJoinToken> {
  const keyFile = join(stateDir, STATE_FILES.joinTokenKey);
  const key = readOrCreateSecretFile(keyFile, generateJoinTokenKey);
  const token = await createJoinToken({ signingKeyPem: key.content, identity, ttlSeconds, now });
  return {
    token,
    id: joinTokenId(token) as string,
    identity: formatSpiffeId(identity),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    keyFile,
    keyCreated: key.created,
  };
}

/** Mints a token for `identity` into `file` (mode 0600; its directory is created 0700 if missing). */
export async function writeJoinTokenFile(
  stateDir: string,
  identity: SpiffeIdentity,
  file: string,
  ttlSeconds: number,
): Promise<string> {
  const { token } = await mintJoinToken(stateDir, identity, ttlSeconds);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, token, { mode: 0o600 });
  return file;
}
