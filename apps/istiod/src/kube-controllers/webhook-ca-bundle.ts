import type {
  AdmissionregistrationV1Api,
  V1MutatingWebhookConfiguration,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { isConflict, isInvalid, isNotFound } from '@mesh/kube';
import type { Logger } from 'pino';

import type { PermissionProblems } from './permission-problems.js';

/**
 * istiod's webhook certificate is issued by its own CA, so the API server must trust that root: the
 * webhook configurations of istiod's revision get the root as the `caBundle` of each of their
 * webhooks, as Istio's webhook controllers patch them. They are found by the names the istiod and
 * base charts give them (`istio-sidecar-injector[-<rev>][-<ns>]`, `istio-validator[-<rev>]-<ns>`,
 * and `istiod-default-validator` when it is labelled with this revision), read with `get` and
 * changed with a JSON Patch guarded by their resourceVersion — exactly the verbs and names the
 * chart's ClusterRole grants. Only what differs is written; a conflict is retried at the next sync.
 */

type WebhookConfiguration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;
type Patch = { op: string; path: string; value?: unknown }[];

/** The JSON Patch that sets `caBundle` on every webhook that lacks it, or undefined when none does. */
function caBundlePatch(config: WebhookConfiguration, caBundle: string): Patch | undefined {
  const ops: Patch = (config.webhooks ?? []).flatMap((w, i) =>
    w.clientConfig.caBundle === caBundle
      ? []
      : [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }],
  );
  if (ops.length === 0) return undefined;
  return [{ op: 'test', path: '/metadata/resourceVersion', value: config.metadata?.resourceVersion }, ...ops];
}

export function webhookConfigurationNames(istioNamespace: string, revision: string) {
  const rev = revision === '' || revision === 'default' ? '' : `-${revision}`;
  const ns = istioNamespace === 'istio-system' ? '' : `-${istioNamespace}`;
  return {
    mutating: [`istio-sidecar-injector${rev}${ns}`],
    validating: [`istio-validator${rev}-${istioNamespace}`, 'istiod-default-validator'],
  };
}

export async function syncWebhookCaBundles(options: {
  admission: AdmissionregistrationV1Api;
  istioNamespace: string;
  revision: string;
  rootPem: string;
  permissions: PermissionProblems;
  logger: Logger;
}): Promise<void> {
  const { admission, permissions, logger } = options;
  const caBundle = Buffer.from(options.rootPem).toString('base64');
  const revisionLabel = options.revision === '' ? 'default' : options.revision;
  const names = webhookConfigurationNames(options.istioNamespace, options.revision);
  const kinds = [
    ...names.mutating.map((name) => ({
      resource: 'mutatingwebhookconfigurations',
      name,
      get: () => admission.readMutatingWebhookConfiguration({ name }),
      patch: (body: Patch) => admission.patchMutatingWebhookConfiguration({ name, body }),
    })),
    ...names.validating.map((name) => ({
      resource: 'validatingwebhookconfigurations',
      name,
      get: () => admission.readValidatingWebhookConfiguration({ name }),
      patch: (body: Patch) => admission.patchValidatingWebhookConfiguration({ name, body }),
    })),
  ];
  for (const kind of kinds) {
    const action = (verb: string) => `${verb} ${kind.resource} ${kind.name}`;
    let config: WebhookConfiguration;
    try {
      config = await kind.get();
      permissions.record(action('get'));
    } catch (err) {
      // Not installed (another chart's, or this revision has none): nothing to patch.
      if (permissions.record(action('get'), err) || isNotFound(err)) continue;
      throw err;
    }
    // Another revision's default validator is that revision's istiod's to patch.
    if (config.metadata?.labels?.['istio.io/rev'] !== revisionLabel) continue;
    const patch = caBundlePatch(config, caBundle);
    if (patch === undefined) continue;
    try {
      await kind.patch(patch);
      permissions.record(action('patch'));
      logger.info({ [kind.resource]: kind.name }, "webhook caBundle set to istiod's root");
    } catch (err) {
      // A failed `test` (changed meanwhile) is 422 Invalid or 409: the next sync reads it again.
      if (permissions.record(action('patch'), err) || isConflict(err) || isInvalid(err)) continue;
      throw err;
    }
  }
}
