import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { LaunchError } from './launch-error.js';

/** The mesh's commands and the packages whose `bin` entries provide them. */
const PACKAGES = {
  istiod: '@mesh/istiod',
  'mesh-proxy': '@mesh/proxy',
  meshctl: '@mesh/cli',
} as const;

export type MeshCommand = keyof typeof PACKAGES;

/**
 * The entry point of a mesh command, from its package's `bin` in the nearest
 * `node_modules/<package>` up from here (as Node resolves packages, and as `npx` finds the command).
 * A library never imports an app: it runs the program the package installs.
 */
export function meshBinary(command: MeshCommand): string {
  const packageName = PACKAGES[command];
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', packageName, 'package.json');
    if (existsSync(manifest)) {
      const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> };
      const entry = bin?.[command] && join(dirname(realpathSync(manifest)), bin[command]);
      if (!entry || !existsSync(entry))
        throw new LaunchError(
          'LAUNCH_NOT_INSTALLED',
          command,
          `${packageName} has no "${command}" bin entry`,
        );
      return entry;
    }
    if (dirname(dir) === dir)
      throw new LaunchError('LAUNCH_NOT_INSTALLED', command, `${packageName} is not installed (npm ci)`);
  }
}
