import { readdirSync, statSync } from 'node:fs';

import { CONFIG_TREE_LISTING, configFilesIn } from '@mesh/policy';

/**
 * The files named, with directories expanded to the config files in their tree by the rule istiod's
 * file store applies (`configFilesIn`), so `meshctl validate -f DIR` checks what istiod would read.
 * A file named explicitly is validated whatever its name, as `kubectl apply -f` reads it.
 */
export function collectConfigFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === '-' || !statSync(path).isDirectory()) files.push(path);
    else files.push(...configFilesIn(readdirSync(path, CONFIG_TREE_LISTING)));
  }
  return files;
}
