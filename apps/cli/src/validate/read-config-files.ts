import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

import { parseConfigFile, refuseOversizeFile, type ParsedFile } from '@mesh/policy';

/**
 * Config files read the way istiod's file store reads them (the shared loader of @mesh/policy: the
 * same size limits, parsing and validation), for `meshctl validate`.
 */

// Every stored resource carries a resourceVersion; offline they only need to differ.
let version = 0;
const nextVersion = () => String(++version);

/** One file: refused unread above the size limit, else parsed and validated. */
export async function readConfigFile(path: string, file = path): Promise<ParsedFile> {
  const { size } = await stat(path);
  return refuseOversizeFile(file, size) ?? parseConfigFile(await readFile(path, 'utf8'), file, nextVersion);
}

/** Standard input, as a file named `<stdin>` (the size limits apply to it once read). */
export function readStandardInput(): ParsedFile {
  return parseConfigFile(readFileSync(0, 'utf8'), '<stdin>', nextVersion);
}
