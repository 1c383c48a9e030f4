import { join } from 'node:path';

/**
 * Which files of a config directory tree are config: the one rule istiod's file store, `meshctl
 * validate -f DIR` and `meshctl local status` apply, so that what is validated is what istiod reads.
 * Regular files named `*.yaml`, `*.yml` or `*.json` (any case), at any depth; hidden files (editors'
 * and tools' dotfiles, `.#x.yaml` locks) and symbolic links are not config. Pure: callers list the
 * directory (`readdir(dir, CONFIG_TREE_LISTING)`) and pass the entries.
 */

const CONFIG_FILE_NAME = /\.(ya?ml|json)$/i;

/** How to list a config directory for {@link configFilesIn}: the whole tree, with entry types. */
export const CONFIG_TREE_LISTING = { recursive: true, withFileTypes: true } as const;

/** What {@link configFilesIn} reads of a directory entry (`fs.Dirent` has it). */
export interface DirectoryEntry {
  name: string;
  parentPath: string;
  isFile(): boolean;
}

export function isConfigFileName(name: string): boolean {
  return CONFIG_FILE_NAME.test(name) && !name.startsWith('.');
}

/**
 * The config files among the entries of a recursive listing, as paths, sorted: the order in which
 * istiod merges them (the first definition of a resource wins).
 */
export function configFilesIn(entries: readonly DirectoryEntry[]): string[] {
  return entries
    .filter((entry) => entry.isFile() && isConfigFileName(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
