import { MESH_TLS_PROTOCOLS, type MeshConfigTls, type MeshTlsConfig } from '../api/mesh/mesh-tls-config.js';
import { field, item } from '../field-paths.js';
import { FindingCollector } from './collector.js';
import type { Finding } from './finding.js';
import { isValidCipherSuite, isValidEcdhCurve } from './rules/tls-names.js';

/**
 * Validation of MeshConfig's `meshMTLS` and `tlsDefaults` (Istio's `ValidateMeshTLSConfig` and
 * `ValidateMeshTLSDefaults`). Stricter than Istio where Istio only warns and Envoy would then reject
 * the pushed config: an unknown cipher suite or curve is an error here, so a mesh config that no
 * proxy could apply never replaces the one in force.
 */

export interface MeshConfigTlsValidation {
  /** The TLS settings, present only when they have no errors. */
  tls?: MeshConfigTls;
  errors: Finding[];
  warnings: Finding[];
}

const TLS_CONFIG_FIELDS = new Set(['minProtocolVersion', 'ecdhCurves', 'cipherSuites']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A list of strings at `path`, each checked by `known`; duplicates are reported as warnings. */
function checkNames(
  value: unknown,
  path: string,
  what: string,
  known: (name: string) => boolean,
  c: FindingCollector,
): string[] | undefined {
  if (!Array.isArray(value)) {
    c.error('SCHEMA_TYPE', path, `${what}s must be a list of strings`);
    return undefined;
  }
  const seen = new Set<string>();
  value.forEach((name: unknown, i) => {
    if (typeof name !== 'string') {
      c.error('SCHEMA_TYPE', item(path, i), `a ${what} must be a string`);
      return;
    }
    if (!known(name)) c.error('TLS_INVALID', item(path, i), `unknown ${what} ${JSON.stringify(name)}`);
    else if (seen.has(name))
      c.warning('TLS_INVALID', item(path, i), `duplicate ${what} ${JSON.stringify(name)}`);
    seen.add(name);
  });
  return value as string[];
}

function checkTlsConfig(
  value: unknown,
  path: string,
  c: FindingCollector,
  allowCurves: boolean,
): MeshTlsConfig | undefined {
  if (!isObject(value)) {
    c.error('SCHEMA_TYPE', path, 'must be an object');
    return undefined;
  }
  for (const key of Object.keys(value))
    if (!TLS_CONFIG_FIELDS.has(key))
      c.error('SCHEMA_UNKNOWN_FIELD', field(path, key), `unknown field "${key}" of MeshConfig.TLSConfig`);
  const config: MeshTlsConfig = {};
  const version = value['minProtocolVersion'];
  if (version !== undefined) {
    if ((MESH_TLS_PROTOCOLS as readonly unknown[]).includes(version))
      config.minProtocolVersion = version as MeshTlsConfig['minProtocolVersion'];
    else
      c.error(
        'SCHEMA_ENUM',
        field(path, 'minProtocolVersion'),
        `must be one of ${MESH_TLS_PROTOCOLS.join(', ')}, not ${JSON.stringify(version)}`,
      );
  }
  if (value['cipherSuites'] !== undefined) {
    const suites = checkNames(
      value['cipherSuites'],
      field(path, 'cipherSuites'),
      'cipher suite',
      isValidCipherSuite,
      c,
    );
    if (suites) config.cipherSuites = suites;
  }
  if (value['ecdhCurves'] !== undefined) {
    if (!allowCurves)
      c.error(
        'TLS_INVALID',
        field(path, 'ecdhCurves'),
        'mesh TLS does not support ECDH curves configuration',
      );
    const curves = checkNames(
      value['ecdhCurves'],
      field(path, 'ecdhCurves'),
      'ECDH curve',
      isValidEcdhCurve,
      c,
    );
    if (curves) config.ecdhCurves = curves;
  }
  return config;
}

/** Checks the TLS fields of a MeshConfig object (other fields are not looked at). */
export function validateMeshConfigTls(meshConfig: unknown): MeshConfigTlsValidation {
  const c = new FindingCollector({ kind: 'MeshConfig', namespace: '', name: '' });
  if (!isObject(meshConfig)) {
    c.error('SCHEMA_TYPE', '', 'MeshConfig must be an object');
    return { errors: c.errors, warnings: c.warnings };
  }
  const tls: MeshConfigTls = {};
  if (meshConfig['meshMTLS'] !== undefined) {
    const config = checkTlsConfig(meshConfig['meshMTLS'], 'meshMTLS', c, false);
    if (config) tls.meshMTLS = config;
  }
  if (meshConfig['tlsDefaults'] !== undefined) {
    const config = checkTlsConfig(meshConfig['tlsDefaults'], 'tlsDefaults', c, true);
    if (config) tls.tlsDefaults = config;
  }
  return { ...(c.errors.length === 0 ? { tls } : {}), errors: c.errors, warnings: c.warnings };
}
