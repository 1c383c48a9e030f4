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
 *
 * The validating ones are installed failing open (`Ignore`) and turned to `Fail` once `failClosed()`
 * says istiod's validation really refuses invalid config (Istio's validation controller; see
 * validation-readiness.ts). That is asked only when their caBundle is already in place — before, the
 * API server cannot trust the webhook — and only while one of their webhooks is not `Fail` yet.
 */

type WebhookConfiguration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;
type Patch = { op: string; path: string; value?: unknown }[];

/** The operations that set `caBundle` on every webhook that lacks it. */
function caBundleOps(config: WebhookConfiguration, caBundle: string): Patch {
  return (config.webhooks ?? []).flatMap((w, i) =>
    w.clientConfig.caBundle === caBundle
      ? []
      : [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }],
  );
}

/** The operations that turn every webhook that fails open to `Fail`. */
function failClosedOps(config: WebhookConfiguration): Patch {
  return (config.webhooks ?? []).flatMap((w, i) =>
    w.failurePolicy === 'Fail' ? [] : [{ op: 'add', path: `/webhooks/${i}/failurePolicy`, value: 'Fail' }],
  );
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
  /** Whether validation refuses invalid config, so the validating webhooks may fail closed. */
  failClosed: () => Promise<boolean>;
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
      failClosedOps: (): Patch => [], // the injector fails closed from the start
      patch: (body: Patch) => admission.patchMutatingWebhookConfiguration({ name, body }),
    })),
    ...names.validating.map((name) => ({
      resource: 'validatingwebhookconfigurations',
      name,
      get: () => admission.readValidatingWebhookConfiguration({ name }),
      failClosedOps,
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
    let ops = caBundleOps(config, caBundle);
    let done = "webhook caBundle set to istiod's root";
    if (ops.length === 0) {
      const failOps = kind.failClosedOps(config);
      if (failOps.length > 0 && (await options.failClosed())) {
        ops = failOps;
        done = 'validating webhook failurePolicy set to Fail';
      }
    }
    if (ops.length === 0) continue;
    const resourceVersion = config.metadata?.resourceVersion;
    try {
      await kind.patch([{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...ops]);
      permissions.record(action('patch'));
      logger.info({ [kind.resource]: kind.name }, done);
    } catch (err) {
      // A failed `test` (changed meanwhile) is 422 Invalid or 409: the next sync reads it again.
      if (permissions.record(action('patch'), err) || isConflict(err) || isInvalid(err)) continue;
      throw err;
    }
  }
}
