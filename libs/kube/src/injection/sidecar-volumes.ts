import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/**
 * The volumes Istio's injection template adds and where `istio-proxy` mounts them: the SDS and
 * credential sockets, Envoy's config and data directories, the pod's labels and annotations
 * (downward API), the projected service-account token istiod's CA accepts (audience `istio-ca`,
 * 12 h), the mesh root (`istio-ca-root-cert` ConfigMap istiod keeps in every namespace, or the
 * ClusterTrustBundle when `ENABLE_CLUSTER_TRUST_BUNDLE_API` is on) and the optional CRL.
 */

export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CERT_KEY = 'root-cert.pem';
/** Istio's ClusterTrustBundle name and signer (`pilot/pkg/config/kube/clustertrustbundle`). */
export const CLUSTER_TRUST_BUNDLE_NAME = 'istio.io:istiod-ca:root-cert';
export const CLUSTER_TRUST_BUNDLE_SIGNER = 'istio.io/istiod-ca';
export const TOKEN_EXPIRATION_SECONDS = 43200;

export interface SidecarVolumeOptions {
  tokenAudience: string;
  clusterTrustBundle: boolean;
}

export function sidecarVolumes(options: SidecarVolumeOptions): V1Volume[] {
  const rootCert: V1Volume = options.clusterTrustBundle
    ? {
        name: 'istiod-ca-cert',
        projected: {
          sources: [{ clusterTrustBundle: { name: CLUSTER_TRUST_BUNDLE_NAME, path: ROOT_CERT_KEY } }],
        },
      }
    : { name: 'istiod-ca-cert', configMap: { name: ROOT_CERT_CONFIGMAP } };
  return [
    { name: 'workload-socket', emptyDir: {} },
    { name: 'credential-socket', emptyDir: {} },
    { name: 'workload-certs', emptyDir: {} },
    { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
    { name: 'istio-data', emptyDir: {} },
    {
      name: 'istio-podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        ],
      },
    },
    {
      name: 'istio-token',
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: options.tokenAudience,
              expirationSeconds: TOKEN_EXPIRATION_SECONDS,
              path: 'istio-token',
            },
          },
        ],
      },
    },
    rootCert,
    { name: 'istio-ca-crl', configMap: { name: 'istio-ca-crl', optional: true } },
  ];
}

export const SIDECAR_VOLUME_MOUNTS: readonly V1VolumeMount[] = [
  { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
  { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
  { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
  { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
  { name: 'istio-ca-crl', mountPath: '/var/run/secrets/istio/crl' },
  { name: 'istio-data', mountPath: '/var/lib/istio/data' },
  { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
  { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
  { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
];
