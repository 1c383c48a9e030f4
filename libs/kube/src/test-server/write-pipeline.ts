import type { AdmissionOperation, AdmissionWebhooks } from './admission-webhooks.js';
import {
  alreadyExists,
  apiError,
  badRequest,
  conflict,
  invalid,
  notFound,
  STALE_RESOURCE_VERSION,
  type FieldError,
} from './api-errors.js';
import type { UserInfo } from './authentication.js';
import { STORAGE } from './builtin-resources.js';
import { presentAs } from './wire-objects.js';
import {
  clone,
  isPlainObject,
  kubeTimestamp,
  nameOf,
  type KubeObject,
  type ManagedFieldsEntry,
} from './kube-object.js';
import { recordUpdate } from './managed-fields.js';
import {
  bumpGenerationIfChanged,
  generateNameIfNeeded,
  initializeMetadata,
  isUnchanged,
  preserveServerMetadata,
  validateObjectMeta,
} from './object-metadata.js';
import type { ObjectStore } from './object-store.js';
import { applyCustomResourceSchema } from './openapi-schema.js';
import { apiVersionOf, hasStatusSubresource, type ResourceType } from './resource-types.js';

/**
 * Every write goes through the stages of kube-apiserver's generic registry, in its order:
 * decode and default → mutating admission → server-set metadata and state → validation (object
 * metadata, per-kind rules, CRD schemas) → validating admission → storage → per-kind follow-ups
 * (a CRD's resources appear, a Namespace's contents go). Per-kind behaviour plugs in as hooks.
 */
export interface ResourceHooks {
  /** Defaulting when the request is decoded, before admission sees the object. */
  default?(object: KubeObject): void;
  /** Server-set state of a new object (status, allocated addresses), after mutating admission. */
  prepareCreate?(object: KubeObject): void;
  prepareUpdate?(next: KubeObject, current: KubeObject): void;
  validate?(object: KubeObject, current?: KubeObject): FieldError[];
  /** May refuse a delete (the API server keeps `default` and the system namespaces). */
  beforeDelete?(object: KubeObject): void;
  afterCreate?(object: KubeObject): void;
  afterUpdate?(object: KubeObject, previous: KubeObject): void;
  afterDelete?(object: KubeObject): void;
}

export interface WriteContext {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly user: UserInfo;
  readonly fieldManager: string;
  readonly dryRun: boolean;
}

export interface UpdateOptions {
  readonly subresource?: 'status';
  /** Ownership computed by server-side apply; other updates record their own. */
  readonly managedFields?: ManagedFieldsEntry[];
}

export interface DeletePreconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export class WritePipeline {
  constructor(
    private readonly store: ObjectStore,
    private readonly admission: AdmissionWebhooks,
    private readonly hooks: ReadonlyMap<string, ResourceHooks>,
  ) {}

  /** The stored object, or 404. */
  existing(context: WriteContext, name: string): KubeObject {
    const found = this.store.get(context.type.storage, context.namespace, name);
    if (!found) throw notFound(context.type, name);
    return found;
  }

  async create(
    context: WriteContext,
    body: KubeObject,
    managedFields?: ManagedFieldsEntry[],
  ): Promise<KubeObject> {
    const { type, namespace } = context;
    const hooks = this.hooks.get(type.storage);
    if (type.namespaced) {
      if (body.metadata.namespace && body.metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (!namespace || !this.store.get(STORAGE.namespaces, undefined, namespace)) {
        throw notFound({ group: '', resource: 'namespaces' }, namespace ?? '');
      }
      body.metadata.namespace = namespace;
    }
    hooks?.default?.(body);
    const object = await this.mutate(context, 'CREATE', body.metadata.name ?? '', body);
    generateNameIfNeeded(object);
    initializeMetadata(object, type, namespace);
    if (hasStatusSubresource(type)) delete object['status'];
    hooks?.prepareCreate?.(object);
    const validated = this.validate(context, object);
    const name = nameOf(validated);
    if (this.store.get(type.storage, namespace, name)) throw alreadyExists(type, name);
    const ownership =
      managedFields ?? recordUpdate([], context.fieldManager, apiVersionOf(type), undefined, validated);
    if (ownership.length > 0) validated.metadata.managedFields = ownership;
    await this.admission.validate(this.attributes(context, 'CREATE', name, validated));
    if (context.dryRun) return presentAs(validated, type);
    const stored = this.store.create(type.storage, validated);
    hooks?.afterCreate?.(stored);
    return presentAs(stored, type);
  }

  async update(
    context: WriteContext,
    name: string,
    body: KubeObject,
    options: UpdateOptions = {},
  ): Promise<KubeObject> {
    const { type } = context;
    const hooks = this.hooks.get(type.storage);
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const current = this.existing(context, name);
    const requested = body.metadata.resourceVersion;
    if (requested !== undefined && requested !== '' && requested !== current.metadata.resourceVersion) {
      throw conflict(type, name, STALE_RESOURCE_VERSION);
    }
    if (!requested && type.origin === 'crd' && !options.managedFields) {
      const error: FieldError = {
        type: 'Invalid',
        field: 'metadata.resourceVersion',
        badValue: '0x0',
        detail: 'must be specified for an update',
      };
      throw invalid(type.kind, type.group, name, [error]);
    }
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = clone(current);
      if (body['status'] === undefined) delete next['status'];
      else next['status'] = clone(body['status']);
    } else {
      next = body;
      next.metadata.name = name;
      hooks?.default?.(next);
    }
    const mutated = await this.mutate(context, 'UPDATE', name, next, current, options.subresource);
    preserveServerMetadata(mutated, current);
    if (options.subresource !== 'status' && hasStatusSubresource(type)) {
      if (current['status'] === undefined) delete mutated['status'];
      else mutated['status'] = clone(current['status']);
    }
    hooks?.prepareUpdate?.(mutated, current);
    bumpGenerationIfChanged(mutated, current, type);
    const validated = this.validate(context, mutated, current);
    const ownership =
      options.managedFields ??
      recordUpdate(
        current.metadata.managedFields ?? [],
        context.fieldManager,
        apiVersionOf(type),
        current,
        validated,
      );
    if (ownership.length > 0) validated.metadata.managedFields = ownership;
    else delete validated.metadata.managedFields;
    if (isUnchanged(validated, current)) return presentAs(current, type);
    await this.admission.validate(
      this.attributes(context, 'UPDATE', name, validated, current, options.subresource),
    );
    if (context.dryRun) return presentAs(validated, type);
    const finalized =
      validated.metadata.deletionTimestamp && (validated.metadata.finalizers ?? []).length === 0;
    if (finalized) return this.remove(context, validated);
    const stored = this.store.update(type.storage, validated);
    hooks?.afterUpdate?.(stored, current);
    return presentAs(stored, type);
  }

  /**
   * Deletes, or with finalizers present marks the object for deletion, as the generic registry does;
   * `gone` says which happened.
   */
  async delete(
    context: WriteContext,
    name: string,
    preconditions: DeletePreconditions = {},
  ): Promise<{ object: KubeObject; gone: boolean }> {
    const { type } = context;
    const current = this.existing(context, name);
    for (const field of ['uid', 'resourceVersion'] as const) {
      const expected = preconditions[field];
      if (expected !== undefined && expected !== current.metadata[field]) {
        const label = field === 'uid' ? 'UID' : 'ResourceVersion';
        const why = `Precondition failed: ${label} in precondition: ${expected}, ${label} in object meta: ${current.metadata[field] ?? ''}`;
        throw conflict(type, name, why);
      }
    }
    this.hooks.get(type.storage)?.beforeDelete?.(current);
    await this.admission.mutate(this.attributes(context, 'DELETE', name, undefined, current));
    await this.admission.validate(this.attributes(context, 'DELETE', name, undefined, current));
    if (context.dryRun) return { object: presentAs(current, type), gone: false };
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return { object: presentAs(current, type), gone: false };
      const marked = clone(current);
      marked.metadata.deletionTimestamp = kubeTimestamp();
      marked.metadata.deletionGracePeriodSeconds = 0;
      return { object: presentAs(this.store.update(type.storage, marked), type), gone: false };
    }
    return { object: this.remove(context, current), gone: true };
  }

  private remove(context: WriteContext, object: KubeObject): KubeObject {
    const deleted = this.store.delete(context.type.storage, context.namespace, nameOf(object));
    if (!deleted) throw notFound(context.type, nameOf(object));
    this.hooks.get(context.type.storage)?.afterDelete?.(deleted);
    return presentAs(deleted, context.type);
  }

  private async mutate(
    context: WriteContext,
    operation: AdmissionOperation,
    name: string,
    object: KubeObject,
    oldObject?: KubeObject,
    subresource?: string,
  ): Promise<KubeObject> {
    const mutated = await this.admission.mutate(
      this.attributes(context, operation, name, object, oldObject, subresource),
    );
    if (!isPlainObject(mutated) || !isPlainObject(mutated.metadata)) {
      throw apiError('InternalError', 'a mutating webhook removed the object metadata');
    }
    return mutated;
  }

  private validate(context: WriteContext, object: KubeObject, current?: KubeObject): KubeObject {
    const { type } = context;
    let result = object;
    const errors = [
      ...validateObjectMeta(object, type),
      ...(this.hooks.get(type.storage)?.validate?.(object, current) ?? []),
    ];
    if (type.schema) {
      const applied = applyCustomResourceSchema(object, type.schema);
      result = applied.object;
      errors.push(...applied.errors);
    }
    if (errors.length > 0) throw invalid(type.kind, type.group, object.metadata.name ?? '', errors);
    return result;
  }

  private attributes(
    context: WriteContext,
    operation: AdmissionOperation,
    name: string,
    object?: KubeObject,
    oldObject?: KubeObject,
    subresource?: string,
  ) {
    return {
      operation,
      type: context.type,
      ...(subresource ? { subresource } : {}),
      ...(context.namespace ? { namespace: context.namespace } : {}),
      name,
      ...(object ? { object } : {}),
      ...(oldObject ? { oldObject } : {}),
      user: context.user,
      dryRun: context.dryRun,
    };
  }
}
