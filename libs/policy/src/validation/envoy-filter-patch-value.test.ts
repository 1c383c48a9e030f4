import { describe, expect, it } from 'vitest';

import { istioObject, runCases, type ValidationCase } from '../../test/support/validation-cases.js';
import type { EnvoyPatchValueChecker } from './envoy-patch-value.js';
import { validateResource } from './validate-resource.js';

/**
 * How EnvoyFilter validation uses the patch value check it is given (libs/xds's, tested there against
 * Envoy's protos), and Istio's warnings on deprecated filter names in a match
 * (pkg/config/validation/envoyfilter `validateListenerMatchName`, the "deprecated type" case of its test).
 */

const NOT_APPLIED = 'W NOT_APPLIED ';
const HCM = 'envoy.filters.network.http_connection_manager';

describe('EnvoyFilter patch value check', () => {
  const object = istioObject('EnvoyFilter', {
    configPatches: [
      { applyTo: 'CLUSTER', patch: { operation: 'REMOVE' } },
      { applyTo: 'HTTP_FILTER', patch: { operation: 'INSERT_FIRST', value: { 'odd key': { list: [1] } } } },
    ],
  });

  it('reports what the checker finds at its field path inside patch.value, naming the resource', () => {
    const calls: [string, unknown][] = [];
    const checker: EnvoyPatchValueChecker = (applyTo, value) => {
      calls.push([applyTo, value]);
      return [
        { level: 'Error', path: ['odd key', 'list', 0], message: 'expected a string, got number 1' },
        { level: 'Warning', path: [], message: 'using deprecated types by name without typed_config; ' },
      ];
    };
    const { errors, warnings } = validateResource(object, { checkEnvoyPatchValue: checker });
    expect(calls).toEqual([['HTTP_FILTER', { 'odd key': { list: [1] } }]]); // a REMOVE has no value to check
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'ENVOY_FILTER_INVALID',
        kind: 'EnvoyFilter',
        namespace: 'default',
        name: 'test',
        path: 'spec.configPatches[1].patch.value["odd key"].list[0]',
        message: 'Envoy filter: expected a string, got number 1',
      }),
    ]);
    expect(warnings.map((w) => `${w.code} ${w.path}: ${w.message}`)).toContain(
      'ENVOY_FILTER_INVALID spec.configPatches[1].patch.value: Envoy filter: using deprecated types by name without typed_config; ',
    );
  });

  it('leaves patch values unchecked without a checker', () => {
    expect(validateResource(object).errors).toEqual([]);
  });
});

const deprecatedNames: ValidationCase[] = [
  {
    name: 'Istio "deprecated type": a match on envoy.http_connection_manager warns',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: { listener: { filterChain: { filter: { name: 'envoy.http_connection_manager' } } } },
          patch: { operation: 'INSERT_FIRST', value: {} },
        },
      ],
    },
    expect: [
      NOT_APPLIED,
      'W ENVOY_FILTER_INVALID spec.configPatches[0].match.listener.filterChain.filter.name',
    ],
    messages: [
      'using deprecated filter name "envoy.http_connection_manager"; use "envoy.filters.network.http_connection_manager" instead',
    ],
  },
  {
    name: 'a deprecated sub-filter name warns with the HTTP filter that replaced it',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: {
            listener: { filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.ext_authz' } } } },
          },
          patch: { operation: 'REMOVE' },
        },
      ],
    },
    expect: [
      NOT_APPLIED,
      'W ENVOY_FILTER_INVALID spec.configPatches[0].match.listener.filterChain.filter.subFilter.name',
    ],
    messages: ['use "envoy.filters.http.ext_authz" instead'],
  },
  {
    name: 'a deprecated network filter name warns with the network filter that replaced it',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'NETWORK_FILTER',
          match: { listener: { filterChain: { filter: { name: 'envoy.ext_authz' } } } },
          patch: { operation: 'REMOVE' },
        },
      ],
    },
    expect: [
      NOT_APPLIED,
      'W ENVOY_FILTER_INVALID spec.configPatches[0].match.listener.filterChain.filter.name',
    ],
    messages: ['use "envoy.filters.network.ext_authz" instead'],
  },
  {
    name: 'no name warning when the sub-filter match is refused (Istio stops at the error)',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'NETWORK_FILTER',
          match: {
            listener: { filterChain: { filter: { name: 'envoy.tcp_proxy', subFilter: { name: 'x' } } } },
          },
          patch: { operation: 'REMOVE' },
        },
      ],
    },
    expect: [
      NOT_APPLIED,
      'E ENVOY_FILTER_INVALID spec.configPatches[0].match.listener.filterChain.filter.subFilter',
    ],
  },
];

describe('EnvoyFilter deprecated filter names', () => {
  runCases(deprecatedNames);
});
