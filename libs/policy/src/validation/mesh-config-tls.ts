import type { MeshConfig } from '../api/mesh/mesh-config.js';
import { field, item } from '../field-paths.js';
import type { FindingCollector } from './collector.js';
import { isValidCipherSuite, isValidEcdhCurve } from './rules/tls-names.js';

/**
 * Rules for MeshConfig's `meshMTLS` and `tlsDefaults` once their shape is right (Istio's
 * `ValidateMeshTLSConfig` and `ValidateMeshTLSDefaults`). Stricter than Istio where Istio only warns
 * and Envoy would then reject the pushed config: an unknown cipher suite or curve is an error here, so
 * a mesh config that no proxy could apply never replaces the one in force.
 */

/** Each name checked by `known`; duplicates are reported as warnings. */
function checkNames(
  names: readonly string[],
  path: string,
  what: string,
  known: (name: string) => boolean,
  c: FindingCollector,
): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (!known(name)) c.error('TLS_INVALID', item(path, i), `unknown ${what} ${JSON.stringify(name)}`);
    else if (seen.has(name))
      c.warning('TLS_INVALID', item(path, i), `duplicate ${what} ${JSON.stringify(name)}`);
    seen.add(name);
  });
}

export function checkMeshConfigTls(config: MeshConfig, c: FindingCollector): void {
  for (const key of ['meshMTLS', 'tlsDefaults'] as const) {
    const tls = config[key];
    if (tls === undefined) continue;
    if (tls.cipherSuites !== undefined)
      checkNames(tls.cipherSuites, field(key, 'cipherSuites'), 'cipher suite', isValidCipherSuite, c);
    if (tls.ecdhCurves === undefined) continue;
    if (key === 'meshMTLS')
      c.error('TLS_INVALID', field(key, 'ecdhCurves'), 'mesh TLS does not support ECDH curves configuration');
    checkNames(tls.ecdhCurves, field(key, 'ecdhCurves'), 'ECDH curve', isValidEcdhCurve, c);
  }
}
