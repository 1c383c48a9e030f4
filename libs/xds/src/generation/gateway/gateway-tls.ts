import type { ServerTLSSettings } from '@mesh/policy';

import { TLS_TRANSPORT_SOCKET } from '../../envoy/known-filters.js';
import { DOWNSTREAM_TLS_CONTEXT_TYPE } from '../../resources/tls-context.js';
import { CA_CERT_SUFFIX, KUBERNETES_SECRET_PREFIX } from '../secrets/credential-secrets.js';
import { SDS_ROOT_CA, SDS_WORKLOAD_CERT, sdsSecretConfig } from '../sidecar/listeners/tls-context.js';
import { layeredTlsParams } from '../tls-parameters.js';

/**
 * The TLS a gateway server terminates (`pilot/pkg/networking/core/gateway.go`
 * `buildGatewayListenerTLSContext`): `SIMPLE` serves the `credentialName` Secret that istiod sends over
 * ADS (`kubernetes://<name>`), `MUTUAL` also verifies clients against `kubernetes://<name>-cacert`
 * (`OPTIONAL_MUTUAL` without requiring a certificate), `ISTIO_MUTUAL` uses the gateway's own workload
 * certificate and the mesh root from its agent (`default`, `ROOTCA`).
 */

type Obj = Record<string, unknown>;

/** Istio's `ConstructSdsSecretConfigForCredential`: a credential comes from istiod over ADS. */
function credentialSdsConfig(name: string): Obj {
  return { name: `${KUBERNETES_SECRET_PREFIX}${name}`, sds_config: { ads: {}, resource_api_version: 'V3' } };
}

function validationContext(tls: ServerTLSSettings, source: Obj): Obj {
  const sans = (tls.subjectAltNames ?? []).map((exact) => ({ san_type: 'URI', matcher: { exact } }));
  return {
    default_validation_context: {
      ...(sans.length > 0 ? { match_typed_subject_alt_names: sans } : {}),
      ...(tls.verifyCertificateSpki?.length
        ? { verify_certificate_spki: [...tls.verifyCertificateSpki] }
        : {}),
      ...(tls.verifyCertificateHash?.length
        ? { verify_certificate_hash: [...tls.verifyCertificateHash] }
        : {}),
    },
    validation_context_sds_secret_config: source,
  };
}

/** The DownstreamTlsContext of a terminated server; `http` chooses the ALPNs (h2, http/1.1 for HTTP). */
export function gatewayServerTransportSocket(tls: ServerTLSSettings, http: boolean): Obj {
  const mode = tls.mode ?? 'SIMPLE';
  const common: Obj = {};
  const params = layeredTlsParams({}, tls);
  if (Object.keys(params).length > 0) common['tls_params'] = params;
  if (http) common['alpn_protocols'] = ['h2', 'http/1.1'];
  if (mode === 'ISTIO_MUTUAL') {
    common['tls_certificate_sds_secret_configs'] = [sdsSecretConfig(SDS_WORKLOAD_CERT)];
    common['combined_validation_context'] = validationContext(tls, sdsSecretConfig(SDS_ROOT_CA));
  } else {
    const credential = tls.credentialName ?? '';
    common['tls_certificate_sds_secret_configs'] = [credentialSdsConfig(credential)];
    if (mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL')
      common['combined_validation_context'] = validationContext(
        tls,
        credentialSdsConfig(`${credential}${CA_CERT_SUFFIX}`),
      );
  }
  const requireClient = mode === 'MUTUAL' || mode === 'ISTIO_MUTUAL';
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: {
      '@type': DOWNSTREAM_TLS_CONTEXT_TYPE,
      common_tls_context: common,
      require_client_certificate: { value: requireClient },
    },
  };
}
