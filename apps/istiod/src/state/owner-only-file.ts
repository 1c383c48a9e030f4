import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Files istiod keeps for its next run in its state directory (the last good config, the endpoint
 * registrations it proved). Only istiod writes them: owner-only (0600 in a 0700 directory), written
 * atomically (a fresh temporary file renamed over the old one) so a crash mid-write leaves the previous
 * version. They are read back as the previous state of istiod itself, so a file another user could
 * have written or replaced is not read at all.
 */

export async function writeOwnerOnlyFile(path: string, content: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}

/**
 * The content of a file `writeOwnerOnlyFile` wrote, or undefined when there is none. Throws, saying
 * why, when the file is not one istiod could have written (a symbolic link, another owner, readable
 * or writable by group or others) or is larger than `maxBytes`.
 */
export function readOwnerOnlyFile(path: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new Error(code === 'ELOOP' ? 'is a symbolic link' : (err as Error).message);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('is not a regular file');
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid)
      throw new Error(`is owned by uid ${stat.uid}, not by istiod's uid ${uid}`);
    if ((stat.mode & 0o077) !== 0)
      throw new Error(`has mode ${(stat.mode & 0o777).toString(8)}; istiod writes it 600 (owner only)`);
    if (stat.size > maxBytes) throw new Error(`is ${stat.size} bytes, more than the ${maxBytes} allowed`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
