import { KubeConfig } from '@kubernetes/client-node';

import { KubeError } from './errors.js';

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; without it, `$KUBECONFIG`, `~/.kube/config`, then the in-cluster service account. */
  readonly kubeconfig?: string;
  /** A context of that file to use instead of its `current-context` (`--context`). */
  readonly context?: string;
}

/**
 * The client configuration every command and controller that talks to a cluster starts from, with
 * kubectl's `--kubeconfig` and `--context` semantics: an unknown context is an error, not a silent
 * fall-back to the current one.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((context) => context.name);
      throw new KubeError(
        'KUBE_INVALID_ARGUMENT',
        `context "${options.context}" does not exist in the kubeconfig (known: ${known.join(', ') || 'none'})`,
      );
    }
    config.setCurrentContext(options.context);
  }
  return config;
}
