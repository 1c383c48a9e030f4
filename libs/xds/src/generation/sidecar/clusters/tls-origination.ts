import type { ClientTLSSettings, MeshTlsConfig } from '@mesh/policy';

import { CA_CERT_SUFFIX, KUBERNETES_SECRET_PREFIX } from '../../secrets/credential-secrets.js';
import { upstreamTlsParams } from '../../tls-parameters.js';
import { sdsSecretConfig } from '../listeners/tls-context.js';
import { fileCertificateSecretName, fileRootsSecretName } from './file-secret-names.js';

/**
 * TLS a DestinationRule originates, SIMPLE or MUTUAL (Istio's `constructUpstreamTLS`). The server is
 * verified unless `insecureSkipVerify` says otherwise: against `caCertificates`, else the system's
 * roots (`file-root:system`), with `subjectAltNames` as exact SAN matchers. Without `sni`, the cluster
 * asks for auto SNI, and, without SANs, for validation of the server's name against it (Istio's
 * `setAutoSniAndAutoSanValidation`).
 */

type Obj = Record<string, unknown>;

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Secrets of a `credentialName` come from istiod over ADS (`ConstructSdsSecretConfigForCredential`). */
function credentialSecret(name: string): Obj {
  return { name: `${KUBERNETES_SECRET_PREFIX}${name}`, sds_config: { ads: {}, resource_api_version: 'V3' } };
}

/**
 * Exact matchers against any SAN of the server certificate, in `match_subject_alt_names` as Istio
 * sends them (`util.StringToExactMatch`): typed matchers would need the SAN type of names users write.
 */
export function exactSanMatchers(sans: readonly string[]): Obj[] {
  return sans.map((san) => ({ exact: san }));
}

function verification(tls: ClientTLSSettings): Obj {
  if (tls.insecureSkipVerify === true) return { validation_context: {} };
  const defaults: Obj = tls.subjectAltNames?.length
    ? { match_subject_alt_names: exactSanMatchers(tls.subjectAltNames) }
    : {};
  if (tls.caCrl && !tls.credentialName) defaults['crl'] = { filename: tls.caCrl };
  const roots = tls.credentialName
    ? credentialSecret(`${tls.credentialName}${CA_CERT_SUFFIX}`)
    : sdsSecretConfig(fileRootsSecretName(tls.caCertificates));
  return {
    combined_validation_context: {
      default_validation_context: defaults,
      validation_context_sds_secret_config: roots,
    },
  };
}

/**
 * The UpstreamTlsContext fields of SIMPLE/MUTUAL. A `credentialName` is a Kubernetes Secret from
 * istiod; Istio gives a sidecar whose rule has no workload selector no TLS at all then (plaintext),
 * here the secret is asked for and, when the proxy cannot have it, the connection fails closed.
 */
export function originationContext(
  tls: ClientTLSSettings,
  opts: { http2: boolean; tlsDefaults?: MeshTlsConfig },
): Obj {
  const common: Obj = { tls_params: upstreamTlsParams(opts.tlsDefaults) };
  if (tls.mode === 'MUTUAL') {
    const certificate = tls.credentialName
      ? credentialSecret(tls.credentialName)
      : sdsSecretConfig(fileCertificateSecretName(tls.clientCertificate ?? '', tls.privateKey ?? ''));
    common['tls_certificate_sds_secret_configs'] = [certificate];
  }
  Object.assign(common, verification(tls));
  if (opts.http2) common['alpn_protocols'] = ['h2'];
  return { common_tls_context: common, ...(tls.sni ? { sni: tls.sni } : {}) };
}

/**
 * `typed_extension_protocol_options` with Envoy's auto SNI (from the host the request is for) and,
 * when the rule names no SANs and verifies, validation of the server's certificate against that
 * name; undefined when the rule sets `sni`. Envoy requires a protocol choice next to them: the port's.
 */
export function autoSniProtocolOptions(tls: ClientTLSSettings, http2: boolean): Obj | undefined {
  if (tls.sni) return undefined;
  const validate = !tls.subjectAltNames?.length && tls.insecureSkipVerify !== true;
  return {
    [HTTP_PROTOCOL_OPTIONS]: {
      '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`,
      upstream_http_protocol_options: { auto_sni: true, ...(validate ? { auto_san_validation: true } : {}) },
      explicit_http_config: http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
    },
  };
}
