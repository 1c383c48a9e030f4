import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/**
 * A kubeconfig for the test API server: one cluster (its URL and CA), one user (a bearer token),
 * one context, as `kubectl config view --raw` would print it. Written to a file it works for
 * kubectl and for code that takes `--kubeconfig`; loaded, it is a client-node `KubeConfig`.
 */
export interface KubeconfigParameters {
  readonly server: string;
  readonly caPem: string;
  readonly username: string;
  readonly token: string;
  readonly namespace?: string;
  readonly contextName?: string;
}

export function kubeconfigYaml(parameters: KubeconfigParameters): string {
  const context = parameters.contextName ?? 'mesh-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: context,
        cluster: {
          server: parameters.server,
          'certificate-authority-data': Buffer.from(parameters.caPem, 'utf8').toString('base64'),
        },
      },
    ],
    users: [{ name: parameters.username, user: { token: parameters.token } }],
    contexts: [
      {
        name: context,
        context: {
          cluster: context,
          user: parameters.username,
          namespace: parameters.namespace ?? 'default',
        },
      },
    ],
    'current-context': context,
  });
}

export function kubeConfigObject(parameters: KubeconfigParameters): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml(parameters));
  return config;
}
