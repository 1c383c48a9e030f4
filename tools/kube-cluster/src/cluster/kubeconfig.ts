import { readFileSync, writeFileSync } from 'node:fs';

import { stringify } from 'yaml';

import type { ClusterPki, ClientName } from './pki.js';

/** The context (and cluster and user) name in every kubeconfig the tool writes. */
export const CONTEXT_NAME = 'mesh-kube-cluster';

const base64 = (path: string) => readFileSync(path).toString('base64');

/**
 * A self-contained kubeconfig (certificates and key inline, as `kubectl config view --raw` prints
 * them) for one of the cluster's client identities, written owner-readable only: it is a credential.
 */
export function writeKubeconfig(
  path: string,
  options: { server: string; pki: ClusterPki; client: ClientName },
) {
  const { cert, key } = options.pki.pair(options.client);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: CONTEXT_NAME,
        cluster: { server: options.server, 'certificate-authority-data': base64(options.pki.caCert) },
      },
    ],
    users: [
      {
        name: CONTEXT_NAME,
        user: { 'client-certificate-data': base64(cert), 'client-key-data': base64(key) },
      },
    ],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME } }],
    'current-context': CONTEXT_NAME,
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
