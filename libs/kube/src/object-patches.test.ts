import { describe, expect, it } from 'vitest';

import { isKubeError } from './errors.js';
import {
  applyJsonPatch,
  applyMergePatch,
  applyObjectMergePatch,
  jsonEqual,
  parseJsonPointer,
} from './object-patches.js';

describe('applyJsonPatch (RFC 6902)', () => {
  it('applies add, remove, replace, move, copy and test in order without touching the input', () => {
    const input = { a: { b: 1 }, list: [1, 2], 'x/y': 'slash', 'm~n': 'tilde' };
    const result = applyJsonPatch(input, [
      { op: 'add', path: '/list/1', value: 9 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'replace', path: '/a/b', value: 2 },
      { op: 'move', from: '/x~1y', path: '/moved' },
      { op: 'copy', from: '/a', path: '/copied' },
      { op: 'remove', path: '/m~0n' },
      { op: 'test', path: '/list', value: [1, 9, 2, 3] },
    ]);
    expect(result).toEqual({ a: { b: 2 }, list: [1, 9, 2, 3], moved: 'slash', copied: { b: 2 } });
    expect(input).toEqual({ a: { b: 1 }, list: [1, 2], 'x/y': 'slash', 'm~n': 'tilde' });
  });

  it.each([
    ['a failed test', [{ op: 'test', path: '/a', value: 2 }]],
    ['a missing parent', [{ op: 'add', path: '/missing/child', value: 1 }]],
    ['replace of a missing member', [{ op: 'replace', path: '/nope', value: 1 }]],
    ['an index out of range', [{ op: 'add', path: '/list/5', value: 1 }]],
    ['a pointer without a leading slash', [{ op: 'add', path: 'a', value: 1 }]],
    ['an operation without a value', [{ op: 'add', path: '/b' }]],
    ['an unknown op', [{ op: 'merge', path: '/a', value: 1 }]],
    ['a patch that is not a list', { op: 'add' }],
  ])('fails with KUBE_JSON_PATCH_FAILED on %s', (_case, patch) => {
    let caught: unknown;
    try {
      applyJsonPatch({ a: 1, list: [] }, patch);
    } catch (error) {
      caught = error;
    }
    expect(isKubeError(caught, 'KUBE_JSON_PATCH_FAILED')).toBe(true);
  });

  it('parses JSON pointers with escapes', () => {
    expect(parseJsonPointer('/a~1b/~0c/0')).toEqual(['a/b', '~c', '0']);
    expect(parseJsonPointer('')).toEqual([]);
  });
});

describe('applyMergePatch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('requires an object patch for resources', () => {
    expect(() => applyObjectMergePatch({ a: 1 }, [1])).toThrow(/must be a JSON object/);
  });
});

describe('jsonEqual', () => {
  it('ignores key order and compares deeply', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});
