import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { AgentError } from './agent-error.js';

const OWNER_ONLY = 0o600;

/**
 * Writes the workload private key so that it is never readable by anyone but the owner, not even
 * for a moment: a fresh temporary file is created with mode 0600 (exclusive create, so no existing
 * file or symlink is reused), filled, synced and renamed over the target. Readers see the old key or
 * the new one, never half a key, and a pre-existing file with wider permissions is replaced.
 */
export async function writePrivateKeyFile(path: string, privateKeyPem: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', OWNER_ONLY);
    try {
      // The umask can only narrow the mode given to open; set it exactly anyway.
      await handle.chmod(OWNER_ONLY);
      await handle.writeFile(privateKeyPem, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw new AgentError(
      'AGENT_KEY_FILE',
      `cannot write the private key to ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
