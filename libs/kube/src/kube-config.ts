import { KubeConfig, type ApiConstructor, type ApiType, type Configuration } from '@kubernetes/client-node';

import { KubeError } from './errors.js';
import { RetryingHttpLibrary } from './retrying-http-library.js';

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; without it, `$KUBECONFIG`, `~/.kube/config`, then the in-cluster service account. */
  readonly kubeconfig?: string;
  /** A context of that file to use instead of its `current-context` (`--context`). */
  readonly context?: string;
}

/** A KubeConfig whose API clients retry what the API server asks them to (RetryingHttpLibrary). */
class RetryingKubeConfig extends KubeConfig {
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    // client-node's own configuration (server, credentials, User-Agent), with only the HTTP layer wrapped.
    let made: Configuration | undefined;
    super.makeApiClient(
      class {
        constructor(configuration: Configuration) {
          made = configuration;
        }
      },
    );
    if (made === undefined) throw new Error('client-node made no API client configuration');
    const configuration: Configuration = made;
    return new apiClientType({ ...configuration, httpApi: new RetryingHttpLibrary(configuration.httpApi) });
  }
}

/**
 * The client configuration every command that talks to a cluster starts from, with kubectl's
 * `--kubeconfig` and `--context` semantics (an unknown context is an error, not a silent fall-back to
 * the current one), whose API clients retry the API server's 429 and 503 answers after the wait it asks.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const config = new RetryingKubeConfig();
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
