import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { revokeAllJoinTokens, STATE_FILES } from '@mesh/pki';

import { meshTag } from './pod-network.js';
import { removeRunState } from './run-state.js';

/**
 * The credentials a mesh's run hands out, and their end: `local up` mints a join token per sidecar
 * (bearer secrets, valid for days) into a token directory; `local token create` mints more with the same
 * key. None may outlive the mesh: whoever ends a run — the supervisor on its way down, or `local down`
 * after a supervisor that was killed — revokes every token of the state directory, removes the token
 * files and the run state, so that a later `up` starts clean and no old token still works.
 */

/** Explicit mode: sidecars' tokens (`<instance>.token`) beside the run state, in the private state directory. */
export function explicitTokenDir(stateDir: string): string {
  return join(stateDir, 'local');
}

/** Transparent mode: outside the (private) state directory, which the sidecars' uid 1337 may not traverse. */
export function transparentTokenDir(stateDir: string): string {
  return join(tmpdir(), `meshctl-${meshTag(stateDir)}-tokens`);
}

const TOKEN_FILE = /\.token$/;

/** What {@link endRun} found to undo. */
export interface EndedRun {
  /** Whether the state directory had a signing key, now replaced (every token signed with it revoked). */
  tokensRevoked: boolean;
  /** The token files removed, of both modes. */
  tokenFiles: number;
}

/**
 * Revokes every join token of `stateDir` (a key is replaced only when there is one: a directory where
 * no token was ever minted gets none), removes the token files of both modes and the run state. Safe to
 * run twice, and on a directory no mesh ever ran on. The mesh's processes must be stopped first.
 */
export function endRun(stateDir: string): EndedRun {
  const tokensRevoked = existsSync(join(stateDir, STATE_FILES.joinTokenKey));
  if (tokensRevoked) revokeAllJoinTokens(stateDir);
  let tokenFiles = 0;
  const explicit = explicitTokenDir(stateDir);
  for (const name of existsSync(explicit) ? readdirSync(explicit) : [])
    if (TOKEN_FILE.test(name)) {
      rmSync(join(explicit, name), { force: true });
      tokenFiles++;
    }
  const transparent = transparentTokenDir(stateDir);
  if (existsSync(transparent)) {
    tokenFiles += readdirSync(transparent).filter((name) => TOKEN_FILE.test(name)).length;
    rmSync(transparent, { recursive: true, force: true });
  }
  removeRunState(stateDir);
  return { tokensRevoked, tokenFiles };
}
