import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The real `openssl` CLI as an independent judge of what libs/pki produces: files go to a temporary
 * directory that is removed afterwards, whatever happens.
 */
export interface OpensslWorkspace {
  /** Writes `content` to `name` in the workspace and returns its path. */
  file(name: string, content: string): string;
  /** Runs openssl; throws with its stderr when it exits non-zero. */
  run(args: string[]): string;
  /** Runs openssl and reports the outcome instead of throwing. */
  attempt(args: string[]): { status: number | null; output: string };
}

export function withOpenssl<T>(body: (openssl: OpensslWorkspace) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-pki-'));
  try {
    return body({
      file(name, content) {
        const path = join(dir, name);
        writeFileSync(path, content);
        return path;
      },
      run(args) {
        try {
          return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
        } catch (error) {
          const { stderr, stdout } = error as { stderr?: string; stdout?: string };
          throw new Error(`openssl ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, {
            cause: error,
          });
        }
      },
      attempt(args) {
        const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
