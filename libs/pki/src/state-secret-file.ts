import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Reads a secret file of the state directory (see `STATE_FILES`), or creates it with `create()` when
 * absent: mode 0600, exclusive creation, so two processes racing on a fresh state directory (istiod and
 * `meshctl local token create`) end up with the same content. Lives here, beside the layout, because
 * both apps write the same files.
 */
export function readOrCreateSecretFile(
  path: string,
  create: () => string,
): { content: string; created: boolean } {
  try {
    return { content: readFileSync(path, 'utf8'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
    return { content: readFileSync(path, 'utf8'), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { content: readFileSync(path, 'utf8'), created: false };
  }
}
