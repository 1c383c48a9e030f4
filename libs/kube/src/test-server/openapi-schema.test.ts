import { describe, expect, it } from 'vitest';

import type { KubeObject } from './kube-object.js';
import { applyCustomResourceSchema, type JsonSchemaProps } from './openapi-schema.js';

function resource(content: Record<string, unknown>): KubeObject {
  return { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' }, ...content };
}

const schema: JsonSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        ratio: { type: 'number', minimum: 0, maximum: 1, exclusiveMaximum: true },
        optional: { type: 'string', nullable: true },
        tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
        nested: {
          type: 'object',
          properties: {
            inner: {
              type: 'object',
              required: ['id'],
              properties: { id: { type: 'integer' }, level: { type: 'string', default: 'info' } },
            },
          },
        },
        // Istio's pattern for "at most one of": oneOf [not anyOf [required a, required b], required a, required b].
        choice: {
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: 'string' } },
          oneOf: [
            { not: { anyOf: [{ required: ['a'] }, { required: ['b'] }] } },
            { required: ['a'] },
            { required: ['b'] },
          ],
        },
      },
    },
  },
};

function errorsOf(content: Record<string, unknown>) {
  return applyCustomResourceSchema(resource(content), schema).errors.map(
    (e) => `${e.field}: ${e.type}${e.detail ? `: ${e.detail}` : ''}`,
  );
}

describe('applyCustomResourceSchema', () => {
  it('accepts a valid object, pruning unknown fields and filling defaults', () => {
    const { object, errors } = applyCustomResourceSchema(
      resource({
        spec: {
          name: 'abc',
          unknown: 1,
          nested: { inner: { id: 1, extra: true } },
          labels: { x: 'y' },
          template: { kind: 'Pod', any: { thing: 1 } },
        },
        topLevelUnknown: 'gone',
      }),
      schema,
    );
    expect(errors).toEqual([]);
    expect(object).toEqual(
      resource({
        spec: {
          name: 'abc',
          nested: { inner: { id: 1, level: 'info' } },
          labels: { x: 'y' },
          template: { kind: 'Pod', any: { thing: 1 } },
        },
      }),
    );
  });

  it('reports string, number and array bound violations with field paths', () => {
    expect(errorsOf({ spec: { name: 'A', ratio: 1, tags: ['a', 'b', 'c'] } })).toEqual([
      'spec.name: Invalid: spec.name in body should be at least 2 chars long',
      "spec.name: Invalid: spec.name in body should match '^[a-z]+$'",
      'spec.ratio: Invalid: spec.ratio in body should be less than 1',
      'spec.tags: TooMany: must have at most 2 items',
    ]);
  });

  it('checks types inside maps, arrays and nested required fields, and honours nullable', () => {
    expect(
      errorsOf({ spec: { labels: { x: 1 }, tags: [true], nested: { inner: {} }, optional: null } }),
    ).toEqual([
      'spec.labels.x: Invalid: spec.labels.x in body must be of type string: "integer"',
      'spec.tags[0]: Invalid: spec.tags[0] in body must be of type string: "boolean"',
      'spec.nested.inner.id: Required',
    ]);
    expect(errorsOf({ spec: { name: null } })).toEqual([
      'spec.name: Invalid: spec.name in body must be of type string: "null"',
    ]);
  });

  it('evaluates oneOf/not/anyOf as structural schemas use them for mutually exclusive fields', () => {
    expect(errorsOf({ spec: { choice: {} } })).toEqual([]);
    expect(errorsOf({ spec: { choice: { a: 'x' } } })).toEqual([]);
    expect(errorsOf({ spec: { choice: { a: 'x', b: 'y' } } })).toEqual([
      'spec.choice: Invalid: spec.choice in body must validate one and only one schema (oneOf)',
    ]);
  });
});
