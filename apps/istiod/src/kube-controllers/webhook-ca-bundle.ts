import type {
  AdmissionregistrationV1Api,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { isConflict } from '@mesh/kube';
import type { Logger } from 'pino';

import type { PermissionProblems } from './permission-problems.js';

/**
 * istiod's webhook certificate is issued by its own CA, so the API server must trust that root:
 * every Mutating/ValidatingWebhookConfiguration of istiod's revision (label `istio.io/rev=<rev>`,
 * as the istiod chart labels `istio-sidecar-injector` and the validators) gets the root as
 * `caBundle` of each of its webhooks, as Istio's webhook controller patches them. Only what differs
 * is written; a conflict with another writer is retried at the next sync.
 */

type WebhookConfiguration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;

function withCaBundle<T extends WebhookConfiguration>(config: T, caBundle: string): T | undefined {
  const webhooks = config.webhooks ?? [];
  if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) return undefined;
  return {
    ...config,
    webhooks: webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle } })),
  } as T;
}

export async function syncWebhookCaBundles(options: {
  admission: AdmissionregistrationV1Api;
  revision: string;
  rootPem: string;
  permissions: PermissionProblems;
  logger: Logger;
}): Promise<void> {
  const { admission, permissions, logger } = options;
  const caBundle = Buffer.from(options.rootPem).toString('base64');
  const labelSelector = `istio.io/rev=${options.revision === '' ? 'default' : options.revision}`;
  const kinds = [
    {
      resource: 'mutatingwebhookconfigurations',
      list: () => admission.listMutatingWebhookConfiguration({ labelSelector }),
      replace: (name: string, body: WebhookConfiguration) =>
        admission.replaceMutatingWebhookConfiguration({ name, body: body as V1MutatingWebhookConfiguration }),
    },
    {
      resource: 'validatingwebhookconfigurations',
      list: () => admission.listValidatingWebhookConfiguration({ labelSelector }),
      replace: (name: string, body: WebhookConfiguration) =>
        admission.replaceValidatingWebhookConfiguration({
          name,
          body: body as V1ValidatingWebhookConfiguration,
        }),
    },
  ];
  for (const kind of kinds) {
    let items: WebhookConfiguration[];
    try {
      items = (await kind.list()).items;
      permissions.record(`list ${kind.resource}`);
    } catch (err) {
      if (permissions.record(`list ${kind.resource}`, err)) continue;
      throw err;
    }
    for (const config of items) {
      const name = config.metadata?.name ?? '';
      const patched = withCaBundle(config, caBundle);
      if (patched === undefined) continue;
      try {
        await kind.replace(name, patched);
        permissions.record(`update ${kind.resource} ${name}`);
        logger.info({ [kind.resource]: name }, "webhook caBundle set to istiod's root");
      } catch (err) {
        if (permissions.record(`update ${kind.resource} ${name}`, err) || isConflict(err)) continue;
        throw err;
      }
    }
  }
}
