import { join } from 'node:path';

import {
  createJoinToken,
  formatSpiffeId,
  generateJoinTokenKey,
  joinTokenId,
  readOrCreateSecretFile,
  STATE_FILES,
  type SpiffeIdentity,
} from '@mesh/pki';

/**
 * A join token for a workload identity, signed with the key in the state directory (created there if
 * istiod has not yet), which istiod started on the same directory accepts for that identity.
 */
export async function mintJoinToken(
  stateDir: string,
  identity: SpiffeIdentity,
  ttlSeconds: number,
  now = new Date(),
): Promise<{
  token: string;
  id: string;
  identity: string;
  expiresAt: Date;
  keyFile: string;
  keyCreated: boolean;
}> {
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

/** istiod's default `--max-join-token-ttl`: it refuses tokens that live longer. */
export const DEFAULT_MAX_JOIN_TOKEN_TTL_SECONDS = 7 * 86400;
