import type { CustomObjectsApi } from '@kubernetes/client-node';
import { apiStatusOf, REVISION_LABEL } from '@mesh/kube';
import type { Logger } from 'pino';

import type { PermissionProblems } from './permission-problems.js';

/**
 * Whether istiod's validating webhook really judges this revision's config, so its webhook
 * configurations may fail closed (Istio's validation controller, readyForFailClose): a dry-run create
 * of a Gateway that is invalid twice over — no servers, and the `webhook-always-reject` annotation —
 * in istiod's namespace, labelled with this revision so that this revision's webhook is the one
 * asked. Refused by an admission webhook ("denied the request") means ready; accepted, or refused for
 * another reason (the API server cannot reach or trust the webhook yet), means not yet. Once ready it
 * stays ready, as in Istio.
 *
 * Dry-run still needs the `create` verb, and only that: a webhook that works refuses the object
 * before storage would answer AlreadyExists, so Istio's dry-run update for an existing
 * `invalid-gateway` never yields a refusal create could not, and is not done. The chart grants `create`
 * on gateways in istiod's namespace alone.
 */

const ALWAYS_REJECT_ANNOTATION = 'internal.istio.io/webhook-always-reject';
/** The phrase of the API server's message for a webhook's refusal: `admission webhook "X" denied the request: ...`. */
const WEBHOOK_DENIED = 'denied the request';
/** The API server's message when the Gateway CRD is not installed: no check is possible, as in Istio. */
const NO_SUCH_RESOURCE = 'the server could not find the requested resource';
/** Another webhook on the path that cannot take dry runs (sideEffects Unknown/Some): no check is possible. */
const NO_DRY_RUN = 'does not support dry run';

export class ValidationReadiness {
  private ready = false;
  private lastReason: string | undefined;

  constructor(
    private readonly options: {
      custom: CustomObjectsApi;
      istioNamespace: string;
      revision: string;
      permissions: PermissionProblems;
      logger: Logger;
    },
  ) {}

  /** True once the dry run of the invalid Gateway has been refused by a webhook; asks again until then. */
  async check(): Promise<boolean> {
    if (this.ready) return true;
    const reason = await this.dryRunRefusal();
    if (reason === undefined) {
      this.ready = true;
      this.options.logger.info(
        'validation webhook refused invalid config: switching validation to fail-closed',
      );
    } else if (reason !== this.lastReason) {
      this.lastReason = reason;
      this.options.logger.info({ reason }, 'not ready to switch validation to fail-closed');
    }
    return this.ready;
  }

  /** Undefined when the invalid Gateway was refused as it must be, else why validation is not ready. */
  private async dryRunRefusal(): Promise<string | undefined> {
    const { custom, istioNamespace: namespace, revision, permissions } = this.options;
    const action = `create gateways.networking.istio.io in namespace ${namespace}`;
    try {
      await custom.createNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace,
        plural: 'gateways',
        dryRun: 'All',
        body: {
          apiVersion: 'networking.istio.io/v1',
          kind: 'Gateway',
          metadata: {
            name: 'invalid-gateway',
            namespace,
            labels: { [REVISION_LABEL]: revision === '' ? 'default' : revision },
            annotations: { [ALWAYS_REJECT_ANNOTATION]: 'true' },
          },
          spec: {},
        },
      });
      permissions.record(action);
      return 'the invalid Gateway was accepted (the webhook was not called or not trusted)';
    } catch (err) {
      if (permissions.record(action, err)) return `missing permission: ${action}`;
      const status = apiStatusOf(err);
      if (status === undefined) throw err;
      const message = status.message ?? '';
      if (message.includes(WEBHOOK_DENIED)) {
        permissions.record(action);
        return undefined;
      }
      if (message.includes(NO_SUCH_RESOURCE) || message.includes(NO_DRY_RUN)) {
        this.options.logger.warn(
          { reason: message },
          'cannot check the validation webhook; assuming it is ready',
        );
        return undefined;
      }
      return `the invalid Gateway was refused for another reason: ${message || `HTTP ${status.code}`}`;
    }
  }
}
