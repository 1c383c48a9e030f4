import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const NOT_APPLIED = 'W NOT_APPLIED ';
const P = 'spec.configPatches[0]';
const patch = (configPatch: unknown) => ({ configPatches: [configPatch] });
const HCM = 'envoy.filters.network.http_connection_manager';

/**
 * Istio: pkg/config/validation/envoyfilter/envoyfilter.go `ValidateEnvoyFilter` and the cases of its
 * envoyfilter_test.go. The check of `patch.value` against Envoy's protos is tested in
 * envoy-filter-patch-value.test.ts (how validation uses it) and libs/xds/src/envoy-filter (the check).
 */
const envoyFilters: ValidationCase[] = [
  {
    name: 'a well-formed HTTP_FILTER insertion is valid (and not applied)',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'HTTP_FILTER',
      match: {
        context: 'SIDECAR_INBOUND',
        proxy: { proxyVersion: '^1\\.2[0-9].*' },
        listener: {
          filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } },
        },
      },
      patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.lua' } },
    }),
    expect: [NOT_APPLIED],
  },
  {
    name: 'REMOVE needs no value',
    kind: 'EnvoyFilter',
    spec: patch({ applyTo: 'CLUSTER', match: { cluster: { service: 'x' } }, patch: { operation: 'REMOVE' } }),
    expect: [NOT_APPLIED],
  },
  {
    // Istio's testdata/crds/envoyfilter-valid.yaml
    name: 'MERGE_AND_REPLACE_LIST and waypoint matches are valid',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'NETWORK_FILTER',
          match: { listener: { filterChain: { transportProtocol: 'tls' } } },
          patch: { operation: 'MERGE_AND_REPLACE_LIST', value: { name: HCM } },
        },
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'WAYPOINT', waypoint: { filter: { name: HCM, subFilter: { name: 'r' } } } },
          patch: { operation: 'REMOVE' },
        },
        { applyTo: 'CLUSTER', match: { context: 'WAYPOINT', waypoint: {} }, patch: { operation: 'REMOVE' } },
      ],
    },
    expect: [NOT_APPLIED],
  },
  {
    name: 'a patch without applyTo is invalid',
    kind: 'EnvoyFilter',
    spec: patch({ patch: { operation: 'ADD', value: {} } }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.applyTo`],
    messages: ['Envoy filter: missing applyTo'],
  },
  {
    name: 'an unknown applyTo is invalid',
    kind: 'EnvoyFilter',
    spec: patch({ applyTo: 'ROUTE', patch: { operation: 'ADD', value: {} } }),
    expect: [`E SCHEMA_ENUM ${P}.applyTo`],
  },
  {
    name: 'a patch set attaches by workloadSelector or targetRefs, not both (the CRD rule)',
    kind: 'EnvoyFilter',
    spec: {
      workloadSelector: { labels: { app: 'a' } },
      targetRefs: [{ kind: 'Service', name: 'a' }],
      configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'REMOVE' } }],
    },
    expect: [NOT_APPLIED, 'E TARGET_REF_INVALID spec'],
  },
  {
    name: 'a match names one object: listener, routeConfiguration, cluster or waypoint',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'CLUSTER',
      match: { cluster: { service: 'a' }, listener: { portNumber: 80 } },
      patch: { operation: 'REMOVE' },
    }),
    expect: [`E ONE_OF ${P}.match`, NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match`],
  },
  {
    name: 'an unknown context is refused by the schema',
    kind: 'EnvoyFilter',
    spec: patch({ applyTo: 'CLUSTER', match: { context: 'SIDECAR' }, patch: { operation: 'REMOVE' } }),
    expect: [`E SCHEMA_ENUM ${P}.match.context`],
  },
  {
    name: 'a config patch without patch is invalid',
    kind: 'EnvoyFilter',
    spec: patch({ applyTo: 'LISTENER' }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.patch`],
    messages: ['Envoy filter: missing patch'],
  },
  {
    name: 'a patch without operation is invalid',
    kind: 'EnvoyFilter',
    spec: patch({ applyTo: 'LISTENER', patch: { value: {} } }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.patch.operation`],
  },
  {
    name: 'ADD without a value is invalid',
    kind: 'EnvoyFilter',
    spec: patch({ applyTo: 'LISTENER', patch: { operation: 'ADD' } }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.patch.value`],
    messages: ['missing patch value for non-remove operation'],
  },
  {
    name: 'a proxyVersion that is not RE2 is invalid',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'LISTENER',
      match: { proxy: { proxyVersion: '(?!1.2)' } },
      patch: { operation: 'MERGE', value: {} },
    }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match.proxy.proxyVersion`],
    messages: ['invalid regex for proxy version'],
  },
  {
    name: 'a listener-class applyTo with a route configuration match is invalid',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'NETWORK_FILTER',
      match: { routeConfiguration: { name: 'x' } },
      patch: { operation: 'MERGE', value: {} },
    }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match`],
    messages: ['applyTo for listener class objects cannot have non listener match'],
  },
  {
    name: 'a route-class applyTo with a cluster match is invalid',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'HTTP_ROUTE',
      match: { cluster: { service: 'x' } },
      patch: { operation: 'MERGE', value: {} },
    }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match`],
  },
  {
    name: 'CLUSTER with a listener match is invalid',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'CLUSTER',
      match: { listener: { portNumber: 80 } },
      patch: { operation: 'MERGE', value: {} },
    }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match`],
  },
  {
    name: 'a filter match without a name is invalid',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'NETWORK_FILTER',
      match: { listener: { filterChain: { filter: {} } } },
      patch: { operation: 'MERGE', value: {} },
    }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match.listener.filterChain.filter`],
  },
  {
    name: 'a subFilter match needs applyTo HTTP_FILTER and the HTTP connection manager',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'NETWORK_FILTER',
          match: { listener: { filterChain: { filter: { name: HCM, subFilter: { name: 'a' } } } } },
          patch: { operation: 'MERGE', value: {} },
        },
        {
          applyTo: 'HTTP_FILTER',
          match: {
            listener: { filterChain: { filter: { name: 'envoy.tcp_proxy', subFilter: { name: 'a' } } } },
          },
          patch: { operation: 'MERGE', value: {} },
        },
      ],
    },
    expect: [
      NOT_APPLIED,
      'E ENVOY_FILTER_INVALID spec.configPatches[0].match.listener.filterChain.filter.subFilter',
      'E ENVOY_FILTER_INVALID spec.configPatches[1].match.listener.filterChain.filter.subFilter',
    ],
  },
  {
    name: 'a filter match on LISTENER has no effect (warning)',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'LISTENER',
      match: { listener: { filterChain: { filter: { name: HCM } } } },
      patch: { operation: 'MERGE', value: {} },
    }),
    expect: [NOT_APPLIED, `W ENVOY_FILTER_INVALID ${P}.match.listener.filterChain.filter`],
  },
  {
    // Istio's testdata/crds/envoyfilter-invalid.yaml (the CRD's CEL rules on match)
    name: 'a waypoint match needs context WAYPOINT, and context WAYPOINT a waypoint match',
    kind: 'EnvoyFilter',
    spec: {
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'SIDECAR_INBOUND', waypoint: {} },
          patch: { operation: 'REMOVE' },
        },
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'WAYPOINT', listener: { filterChain: { filter: { name: HCM } } } },
          patch: { operation: 'REMOVE' },
        },
      ],
    },
    expect: [
      NOT_APPLIED,
      'E ENVOY_FILTER_INVALID spec.configPatches[0].match',
      'E ENVOY_FILTER_INVALID spec.configPatches[1].match',
    ],
    messages: ['only support waypointMatch when context is WAYPOINT'],
  },
  {
    name: 'a waypoint port above 65535 is invalid',
    kind: 'EnvoyFilter',
    spec: patch({
      applyTo: 'HTTP_FILTER',
      match: { context: 'WAYPOINT', waypoint: { portNumber: 65536 } },
      patch: { operation: 'REMOVE' },
    }),
    expect: [NOT_APPLIED, `E ENVOY_FILTER_INVALID ${P}.match.waypoint.portNumber`],
  },
  {
    name: 'a workload selector with a wildcard label is invalid',
    kind: 'EnvoyFilter',
    spec: { workloadSelector: { labels: { app: 'a*' } } },
    expect: [NOT_APPLIED, 'E LABEL_INVALID spec.workloadSelector.labels.app'],
  },
];

describe('EnvoyFilter validation', () => runCases(envoyFilters));
