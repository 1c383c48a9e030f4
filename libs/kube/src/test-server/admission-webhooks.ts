import { randomUUID } from 'node:crypto';

import { applyJsonPatch } from '../object-patches.js';
import { ApiError, apiError, internalError } from './api-errors.js';
import {
  postAdmissionReview,
  WebhookCallError,
  webhookEndpoint,
  type WebhookServiceReference,
} from './admission-review-client.js';
import type { UserInfo } from './authentication.js';
import { STORAGE } from './builtin-resources.js';
import { clone, isPlainObject, type KubeObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import { webhookMatches, type Webhook } from './webhook-rules.js';

/**
 * Dynamic admission as kube-apiserver runs it: on every create, update and delete, the
 * MutatingWebhookConfigurations (by name, each webhook in order) then — after the object is
 * validated — the ValidatingWebhookConfigurations whose rules and selectors match are sent an
 * `admission.k8s.io/v1 AdmissionReview`. Mutating webhooks may return a JSONPatch that is applied;
 * any webhook may deny (the client gets `admission webhook "<name>" denied the request: ...`); a
 * webhook that cannot be called fails the request unless its `failurePolicy` is `Ignore`.
 * Outside this test double: `matchConditions` (CEL), `reinvocationPolicy`, `matchPolicy: Equivalent`.
 */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionAttributes {
  readonly operation: AdmissionOperation;
  readonly type: ResourceType;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name: string;
  readonly object?: KubeObject;
  readonly oldObject?: KubeObject;
  readonly user: UserInfo;
  readonly dryRun: boolean;
}

export type WebhookServiceResolver = (service: WebhookServiceReference) => string | URL | undefined;

const OPTIONS_KIND: Record<AdmissionOperation, string> = {
  CREATE: 'CreateOptions',
  UPDATE: 'UpdateOptions',
  DELETE: 'DeleteOptions',
};

/** `ToStatusErr` of the webhook admission plugin: a denial keeps the webhook's code (at least 400). */
function denial(webhookName: string, status: Record<string, unknown>): ApiError {
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  const code = typeof status['code'] === 'number' && status['code'] >= 400 ? status['code'] : 400;
  const message = typeof status['message'] === 'string' && status['message'] ? status['message'] : undefined;
  const reason = typeof status['reason'] === 'string' && status['reason'] ? status['reason'] : undefined;
  const text = message
    ? `${deniedBy}: ${message}`
    : reason
      ? `${deniedBy}: ${reason}`
      : `${deniedBy} without explanation`;
  const error = apiError('BadRequest', text, undefined, code);
  if (reason) error.status.reason = reason;
  else delete error.status.reason;
  return error;
}

export class AdmissionWebhooks {
  constructor(
    private readonly store: ObjectStore,
    private readonly resolveService: WebhookServiceResolver | undefined,
  ) {}

  /** Runs the mutating webhooks; returns the (possibly patched) object. */
  async mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined> {
    let current = attributes;
    for (const webhook of this.matching(STORAGE.mutatingWebhooks, attributes)) {
      const response = await this.call(webhook, current);
      const object = current.object;
      if (!response || object === undefined) continue;
      if (typeof response['patch'] === 'string' && response['patch'] !== '') {
        if (response['patchType'] !== 'JSONPatch') {
          throw internalError(
            `webhook "${webhook.name}" returned unsupported patchType ${String(response['patchType'])}`,
          );
        }
        try {
          const operations: unknown = JSON.parse(Buffer.from(response['patch'], 'base64').toString('utf8'));
          current = { ...current, object: applyJsonPatch(object, operations) };
        } catch (cause) {
          throw internalError(
            `JSON patch from webhook "${webhook.name}" could not be applied: ${(cause as Error).message}`,
            cause,
          );
        }
      }
    }
    return current.object;
  }

  /** Runs the validating webhooks (concurrently, as the API server does); rejects with the first denial. */
  async validate(attributes: AdmissionAttributes): Promise<void> {
    const webhooks = this.matching(STORAGE.validatingWebhooks, attributes);
    const outcomes = await Promise.allSettled(webhooks.map((webhook) => this.call(webhook, attributes)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private matching(storage: string, attributes: AdmissionAttributes): Webhook[] {
    // Webhook configurations are never subject to webhooks, so a bad one cannot lock itself in.
    if (attributes.type.group === 'admissionregistration.k8s.io') return [];
    const namespaceLabels = this.namespaceLabels(attributes);
    return this.store
      .list(storage)
      .flatMap((configuration) =>
        Array.isArray(configuration['webhooks']) ? (configuration['webhooks'] as Webhook[]) : [],
      )
      .filter((webhook) => webhookMatches(webhook, attributes, namespaceLabels));
  }

  /** Labels `namespaceSelector` is matched against; `null` when it does not apply (cluster-scoped). */
  private namespaceLabels(attributes: AdmissionAttributes): Record<string, string> | null {
    const { type, namespace, object, oldObject } = attributes;
    if (type.group === '' && type.resource === 'namespaces')
      return (object ?? oldObject)?.metadata.labels ?? {};
    if (!type.namespaced || !namespace) return null;
    return this.store.get(STORAGE.namespaces, undefined, namespace)?.metadata.labels ?? {};
  }

  /** Calls one webhook; returns its response, or `undefined` when it failed and may be ignored. */
  private async call(
    webhook: Webhook,
    attributes: AdmissionAttributes,
  ): Promise<Record<string, unknown> | undefined> {
    const uid = randomUUID();
    const { type, operation } = attributes;
    const gvk = { group: type.group, version: type.version, kind: type.kind };
    const gvr = { group: type.group, version: type.version, resource: type.resource };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: gvk,
        resource: gvr,
        ...(attributes.subresource ? { subResource: attributes.subresource } : {}),
        requestKind: gvk,
        requestResource: gvr,
        ...(attributes.subresource ? { requestSubResource: attributes.subresource } : {}),
        name: attributes.name,
        ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
        operation,
        userInfo: attributes.user,
        object: attributes.object ? this.versioned(attributes.object, type) : null,
        oldObject: attributes.oldObject ? this.versioned(attributes.oldObject, type) : null,
        dryRun: attributes.dryRun,
        options: { kind: OPTIONS_KIND[operation], apiVersion: 'meta.k8s.io/v1' },
      },
    };
    const timeoutSeconds = Math.min(Math.max(webhook.timeoutSeconds ?? 10, 1), 30);
    try {
      const endpoint = webhookEndpoint(webhook.clientConfig ?? {}, this.resolveService);
      const reply = await postAdmissionReview(endpoint, review, timeoutSeconds * 1000);
      const response =
        isPlainObject(reply) && isPlainObject(reply['response']) ? reply['response'] : undefined;
      if (!response) throw new WebhookCallError('received invalid webhook response: no response');
      if (response['uid'] !== uid) {
        throw new WebhookCallError(`expected response.uid="${uid}", got "${String(response['uid'])}"`);
      }
      if (response['allowed'] !== true) {
        throw denial(webhook.name, isPlainObject(response['status']) ? response['status'] : {});
      }
      return response;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (webhook.failurePolicy === 'Ignore') return undefined;
      throw internalError(`failed calling webhook "${webhook.name}": ${(error as Error).message}`, error);
    }
  }

  private versioned(object: KubeObject, type: ResourceType): KubeObject {
    return { ...clone(object), apiVersion: apiVersionOf(type), kind: type.kind };
  }
}
