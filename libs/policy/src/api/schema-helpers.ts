import Type, { type TSchema, type TProperties } from 'typebox';

/**
 * Small builders shared by every Istio kind's schema. The schemas serve three users at once: TypeScript
 * types (through `Static<>`), runtime validation (TypeBox's compiler) and the CRD `openAPIV3Schema`
 * (`crd/structural-schema.ts`). Keywords that only Kubernetes understands (`x-kubernetes-*`, `nullable`)
 * and our own `x-mesh-one-of` ride along as schema options; the validator ignores unknown keywords.
 */

/** Marks object fields that are mutually exclusive (at most one may be set), like a proto `oneof`. */
export const ONE_OF_KEYWORD = 'x-mesh-one-of';

/** Options accepted by `obj`: a description and any number of mutually exclusive field groups. */
export interface ObjectOptions {
  description?: string;
  oneOf?: readonly (readonly string[])[];
  /** Kubernetes CEL rules copied from Istio's CRDs; the API server enforces them, we validate semantically. */
  validations?: readonly { rule: string; message: string }[];
}

/**
 * A closed object: unknown fields are reported (Istio's webhook rejects them too, and `kubectl apply`
 * does by default), which catches typos such as `wieght` that would otherwise be silently dropped.
 */
export function obj<P extends TProperties>(properties: P, options: ObjectOptions = {}) {
  const extra: Record<string, unknown> = { additionalProperties: false };
  if (options.description !== undefined) extra['description'] = options.description;
  if (options.oneOf !== undefined) extra[ONE_OF_KEYWORD] = options.oneOf;
  if (options.validations !== undefined) extra['x-kubernetes-validations'] = options.validations;
  return Type.Object(properties, extra);
}

export const opt = Type.Optional;

export function str(description?: string, extra: Record<string, unknown> = {}) {
  return Type.String(description === undefined ? extra : { description, ...extra });
}

export function bool(description?: string) {
  return Type.Boolean(description === undefined ? {} : { description });
}

/** A protobuf wrapper (`google.protobuf.BoolValue`): Kubernetes must accept an explicit null. */
export function nullableBool(description?: string) {
  return Type.Boolean({ nullable: true, ...(description === undefined ? {} : { description }) });
}

/** A proto `uint32`, bounded exactly as Istio's CRDs bound it; tighter ranges are semantic checks. */
export function uint32(description?: string, extra: Record<string, unknown> = {}) {
  return Type.Integer({
    minimum: 0,
    maximum: 4294967295,
    ...(description === undefined ? {} : { description }),
    ...extra,
  });
}

/** A proto `int32`. */
export function int32(description?: string, extra: Record<string, unknown> = {}) {
  return Type.Integer({ format: 'int32', ...(description === undefined ? {} : { description }), ...extra });
}

/** A proto `int64` (or `Int64Value`): proto JSON writes it as a number or a decimal string. */
export function int64(description?: string) {
  return Type.Union(
    [Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })],
    description === undefined ? {} : { description },
  );
}

/** A proto `double`. */
export function double(description?: string, extra: Record<string, unknown> = {}) {
  return Type.Number({ format: 'double', ...(description === undefined ? {} : { description }), ...extra });
}

/** Istio's CEL rule for port numbers kept in a `uint32`, verbatim from its CRDs. */
export const PORT_RANGE_RULE = { rule: '0 < self && self <= 65535', message: 'port must be between 1-65535' };

/** Istio's CEL rule for `google.protobuf.Duration` fields, verbatim from its CRDs. */
const DURATION_RULE = {
  rule: "duration(self) >= duration('1ms')",
  message: 'must be a valid duration greater than 1ms',
};

/**
 * A `google.protobuf.Duration` written as a Go duration string (`1s`, `100ms`, `1h30m`). `minimum1ms`
 * mirrors the fields whose CRD carries Istio's ">= 1ms" rule; the semantic validator checks all of them.
 */
export function duration(description?: string, minimum1ms = true) {
  return Type.String({
    ...(description === undefined ? {} : { description }),
    ...(minimum1ms ? { 'x-kubernetes-validations': [DURATION_RULE] } : {}),
  });
}

export function stringList(description?: string, extra: Record<string, unknown> = {}) {
  return Type.Array(Type.String(), description === undefined ? extra : { description, ...extra });
}

/** A `map<string, string>`. */
export function stringMap(description?: string, extra: Record<string, unknown> = {}) {
  return Type.Record(
    Type.String(),
    Type.String(),
    description === undefined ? extra : { description, ...extra },
  );
}

/** A `map<string, T>`. */
export function mapOf<T extends TSchema>(
  value: T,
  description?: string,
  extra: Record<string, unknown> = {},
) {
  return Type.Record(Type.String(), value, description === undefined ? extra : { description, ...extra });
}

export function listOf<T extends TSchema>(
  item: T,
  description?: string,
  extra: Record<string, unknown> = {},
) {
  return Type.Array(item, description === undefined ? extra : { description, ...extra });
}

/** A string enum; the CRD generator adds `type: string` as structural schemas require. */
export function enumOf<const V extends string[]>(values: readonly [...V], description?: string) {
  return Type.Enum(values, description === undefined ? {} : { description });
}

/**
 * A free-form value (`google.protobuf.Struct`, Envoy config): any JSON object, kept verbatim. Kubernetes
 * is told not to prune it with `x-kubernetes-preserve-unknown-fields`.
 */
export function freeForm(description?: string) {
  return Type.Record(Type.String(), Type.Unknown(), {
    'x-kubernetes-preserve-unknown-fields': true,
    ...(description === undefined ? {} : { description }),
  });
}
