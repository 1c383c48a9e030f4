import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

import {
  parseMeshConfigYaml,
  readAnalysisFile,
  refuseOversizeFile,
  refuseOversizeMeshConfig,
  refusedAnalysisFile,
  type AnalysisFile,
  type MeshConfigValidation,
} from '@mesh/policy';
import { checkEnvoyPatchValue } from '@mesh/xds/envoy-filter';

/**
 * Files read for `meshctl analyze`, through the shared loader as `meshctl validate` reads them (the
 * same size limits, parsing and validation), keeping the line of every field for messages.
 */

// Every loaded resource carries a resourceVersion; offline they only need to differ.
let version = 0;
const nextVersion = () => String(++version);
/** The checks istiod runs with (EnvoyFilter patch values against Envoy's protos). */
const checks = { checkEnvoyPatchValue };

/** One file (`-` is standard input): refused unread above the size limit, else parsed. */
export async function readFileForAnalysis(path: string): Promise<AnalysisFile> {
  if (path === '-') return readAnalysisFile(readFileSync(0, 'utf8'), '-', nextVersion, checks);
  const refused = refuseOversizeFile(path, (await stat(path)).size);
  if (refused !== undefined) return refusedAnalysisFile(refused);
  return readAnalysisFile(await readFile(path, 'utf8'), path, nextVersion, checks);
}

/** `--meshConfigFile`: MeshConfig YAML (not a ConfigMap), validated, with Istio's defaults applied. */
export async function readMeshConfigForAnalysis(path: string): Promise<MeshConfigValidation> {
  const refused = refuseOversizeMeshConfig(path, (await stat(path)).size);
  return refused ?? parseMeshConfigYaml(await readFile(path, 'utf8'), path);
}
