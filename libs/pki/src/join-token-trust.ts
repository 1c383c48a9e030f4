import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { generateJoinTokenKey } from './join-token.js';
import { STATE_FILES } from './state-layout.js';
import { readOrCreateSecretFile } from './state-secret-file.js';

/**
 * What decides which join tokens of a state directory hold: the signing key (replacing it revokes
 * every token signed so far) and the list of token ids revoked one by one. istiod reads both on every
 * check (a `stat`, re-reading only what changed), so `meshctl local token revoke` takes effect on a
 * running istiod at once; meshctl writes them. Both live here, beside the state layout.
 */

/** Writes `content` to `path` atomically (temporary file, then rename), mode 0600 in a 0700 directory. */
function writeSecretAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, path);
}

function readIds(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Adds token ids to the state directory's revocation list; returns how many were new. */
export function revokeJoinTokenIds(stateDir: string, ids: readonly string[]): number {
  const path = join(stateDir, STATE_FILES.joinTokenRevocations);
  const known = new Set(readIds(path));
  const added = ids.filter((id) => !known.has(id));
  for (const id of added) known.add(id);
  if (added.length > 0) writeSecretAtomically(path, [...known].map((id) => `${id}\n`).join(''));
  return added.length;
}

/** Replaces the signing key: every join token signed with the old one stops working. */
export function revokeAllJoinTokens(stateDir: string): void {
  writeSecretAtomically(join(stateDir, STATE_FILES.joinTokenKey), generateJoinTokenKey());
}

/** Changes whenever the file is replaced or written (a rename gives it a new inode). */
function stamp(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  } catch {
    return undefined;
  }
}

/** istiod's view of a state directory's join-token trust, refreshed when the files change. */
export class JoinTokenTrust {
  #key?: { stamp: string | undefined; value: KeyObject };
  #revoked?: { stamp: string | undefined; value: ReadonlySet<string> };

  constructor(private readonly stateDir: string) {}

  /** The verification key of the current signing key (created when the directory has none). */
  verificationKey(): KeyObject {
    const path = join(this.stateDir, STATE_FILES.joinTokenKey);
    const current = stamp(path);
    if (!this.#key || current === undefined || current !== this.#key.stamp) {
      const pem = readOrCreateSecretFile(path, generateJoinTokenKey).content;
      this.#key = { stamp: stamp(path), value: createPublicKey(pem) };
    }
    return this.#key.value;
  }

  revokedIds(): ReadonlySet<string> {
    const path = join(this.stateDir, STATE_FILES.joinTokenRevocations);
    const current = stamp(path);
    if (!this.#revoked || current !== this.#revoked.stamp)
      this.#revoked = { stamp: current, value: new Set(readIds(path)) };
    return this.#revoked.value;
  }
}
