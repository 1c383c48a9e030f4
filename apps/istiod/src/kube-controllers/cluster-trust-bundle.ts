import type { CertificatesV1beta1Api, V1beta1ClusterTrustBundle } from '@kubernetes/client-node';
import { CLUSTER_TRUST_BUNDLE_NAME, CLUSTER_TRUST_BUNDLE_SIGNER, isNotFound } from '@mesh/kube';
import type { Logger } from 'pino';

import type { PermissionProblems } from './permission-problems.js';

/**
 * With `ENABLE_CLUSTER_TRUST_BUNDLE_API=true` (Istio's feature flag, off by default): the mesh root
 * in the ClusterTrustBundle `istio.io:istiod-ca:root-cert` (signer `istio.io/istiod-ca`,
 * `certificates.k8s.io/v1beta1`), which injected pods then mount instead of the per-namespace
 * ConfigMap. Created when missing, rewritten when the root differs. Its RBAC (seed 004's warning)
 * is get/create/update of `clustertrustbundles` and `attest` on the signer: a missing one is
 * reported by name, never fatal.
 */
export async function syncClusterTrustBundle(options: {
  certificates: CertificatesV1beta1Api;
  rootPem: string;
  permissions: PermissionProblems;
  logger: Logger;
}): Promise<void> {
  const { certificates, permissions, logger } = options;
  const name = CLUSTER_TRUST_BUNDLE_NAME;
  let existing: V1beta1ClusterTrustBundle | undefined;
  try {
    existing = await certificates.readClusterTrustBundle({ name });
    permissions.record('get clustertrustbundles');
  } catch (err) {
    if (permissions.record('get clustertrustbundles', err)) return;
    if (!isNotFound(err)) throw err;
  }
  if (existing?.spec.trustBundle === options.rootPem) return;
  const body: V1beta1ClusterTrustBundle = {
    apiVersion: 'certificates.k8s.io/v1beta1',
    kind: 'ClusterTrustBundle',
    metadata: {
      name,
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    spec: { signerName: CLUSTER_TRUST_BUNDLE_SIGNER, trustBundle: options.rootPem },
  };
  const verb = existing ? 'update' : 'create';
  try {
    if (existing) await certificates.replaceClusterTrustBundle({ name, body });
    else await certificates.createClusterTrustBundle({ body });
    permissions.record(`${verb} clustertrustbundles`);
    logger.info({ clusterTrustBundle: name }, `ClusterTrustBundle ${verb}d with the mesh root`);
  } catch (err) {
    // Writing a bundle for a signer also needs `attest` on `signers` named after it.
    if (
      permissions.record(
        `${verb} clustertrustbundles (and attest signer ${CLUSTER_TRUST_BUNDLE_SIGNER})`,
        err,
      )
    )
      return;
    throw err;
  }
}
