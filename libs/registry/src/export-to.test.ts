import { describe, expect, it } from 'vitest';

import { isExportedTo, parseExportTo } from './export-to.js';

describe('exportTo', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    [' , ', undefined],
    ['.', ['.']],
    ['*', ['*']],
    [' ., istio-system ,', ['.', 'istio-system']],
  ])('parses the annotation %j', (annotation, expected) => {
    expect(parseExportTo(annotation)).toEqual(expected);
  });

  // [exportTo, owner namespace, viewing namespace, visible]
  it.each<[string[] | undefined, string, string, boolean]>([
    [undefined, 'shop', 'shop', true],
    [undefined, 'shop', 'other', true],
    [[], 'shop', 'other', true],
    [['*'], 'shop', 'other', true],
    [['.'], 'shop', 'shop', true],
    [['.'], 'shop', 'other', false],
    [['~'], 'shop', 'shop', false],
    [['~'], 'shop', 'other', false],
    [['other'], 'shop', 'other', true],
    // An explicit list does not include the owner's namespace implicitly.
    [['other'], 'shop', 'shop', false],
    [['.', 'other'], 'shop', 'shop', true],
    [['.', 'other'], 'shop', 'third', false],
    [['shop'], 'shop', 'shop', true],
  ])('%j from %s is visible from %s: %s', (exportTo, owner, namespace, visible) => {
    expect(isExportedTo(exportTo, owner, namespace)).toBe(visible);
  });
});
