import { describe, expect, it } from 'vitest';

import { isKubeError } from './errors.js';
import {
  formatLabelSelector,
  labelSelectorRequirements,
  matchesLabelRequirements,
  matchesLabelSelector,
  parseLabelSelector,
} from './label-selector.js';

describe('parseLabelSelector', () => {
  it('parses every operator of the query-string grammar', () => {
    expect(
      parseLabelSelector('app=web, tier!=db,env in (a, b),zone notin (x),canary,!legacy,version==v1'),
    ).toEqual([
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'tier', operator: 'NotEquals', values: ['db'] },
      { key: 'env', operator: 'In', values: ['a', 'b'] },
      { key: 'zone', operator: 'NotIn', values: ['x'] },
      { key: 'canary', operator: 'Exists', values: [] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
      { key: 'version', operator: 'Equals', values: ['v1'] },
    ]);
  });

  it('accepts prefixed keys and empty values, and selects everything when empty', () => {
    expect(parseLabelSelector('app.kubernetes.io/name=')).toEqual([
      { key: 'app.kubernetes.io/name', operator: 'Equals', values: [''] },
    ]);
    expect(parseLabelSelector('  ')).toEqual([]);
  });

  it.each(['app in (a', 'a=b=c', '=x', 'Bad Key=x', 'app=not valid', 'app in ()x'])(
    'rejects %j with KUBE_INVALID_LABEL_SELECTOR',
    (selector) => {
      let caught: unknown;
      try {
        parseLabelSelector(selector);
      } catch (error) {
        caught = error;
      }
      expect(isKubeError(caught, 'KUBE_INVALID_LABEL_SELECTOR')).toBe(true);
    },
  );
});

describe('matching', () => {
  const labels = { app: 'web', env: 'prod' };

  it.each([
    ['app=web', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['env in (prod,dev)', true],
    ['env notin (prod)', false],
    ['missing notin (prod)', true],
    ['app', true],
    ['!app', false],
    ['app=web,env=dev', false],
  ])('%s → %s', (selector, expected) => {
    expect(matchesLabelRequirements(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('matches metav1.LabelSelector objects; a missing or empty one selects everything', () => {
    expect(matchesLabelSelector({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(
      matchesLabelSelector(
        { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
        labels,
      ),
    ).toBe(false);
    expect(matchesLabelSelector(undefined, {})).toBe(true);
    expect(matchesLabelSelector({}, undefined)).toBe(true);
  });

  it('rejects an operator that needs values without them, and unknown operators', () => {
    expect(() => labelSelectorRequirements({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toThrow(
      /must be specified/,
    );
    expect(() =>
      labelSelectorRequirements({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
    ).toThrow(/not a valid label selector operator/);
  });
});

describe('formatLabelSelector', () => {
  it('turns a Service selector map into a query string', () => {
    expect(formatLabelSelector({ app: 'web', version: 'v1' })).toBe('app=web,version=v1');
  });

  it('round-trips a selector object through the query-string grammar', () => {
    const text = formatLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(text).toBe('app=web,env in (a,b),!legacy');
    expect(parseLabelSelector(text)).toHaveLength(3);
  });
});
