import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { relative } from 'node:path';

import {
  CONFIG_TREE_LISTING,
  ConfigTree,
  configFilesIn,
  parseConfigFile,
  refuseOversizeFile,
  type ParsedFile,
  type SavedConfig,
} from '@mesh/policy';
import { checkEnvoyPatchValue } from '@mesh/xds/envoy-filter';

/**
 * Config files read the way istiod's file store reads them (the shared loader of @mesh/policy: the
 * same file rule, size limits, parsing, validation and last good versions), for `meshctl validate`
 * and `meshctl local status`.
 */

// Every stored resource carries a resourceVersion; offline they only need to differ.
let version = 0;
const nextVersion = () => String(++version);
/** The checks istiod runs with (EnvoyFilter patch values against Envoy's protos). */
const checks = { checkEnvoyPatchValue };

/** One file: refused unread above the size limit, else parsed and validated. */
export async function readConfigFile(path: string, file = path): Promise<ParsedFile> {
  const { size } = await stat(path);
  return (
    refuseOversizeFile(file, size) ?? parseConfigFile(await readFile(path, 'utf8'), file, nextVersion, checks)
  );
}

/** Standard input, as a file named `<stdin>` (the size limits apply to it once read). */
export function readStandardInput(): ParsedFile {
  return parseConfigFile(readFileSync(0, 'utf8'), '<stdin>', nextVersion, checks);
}

/**
 * A config directory as istiod's file store holds it: every config file of the tree, each file's
 * first read starting from what istiod saved of it (its last good versions).
 */
export async function readConfigTree(
  dir: string,
  saved: ReadonlyMap<string, readonly SavedConfig[]>,
): Promise<ConfigTree> {
  const tree = new ConfigTree(nextVersion);
  tree.restoreSaved(saved);
  for (const path of configFilesIn(await readdir(dir, CONFIG_TREE_LISTING)))
    tree.read(await readConfigFile(path, relative(dir, path)));
  return tree;
}
