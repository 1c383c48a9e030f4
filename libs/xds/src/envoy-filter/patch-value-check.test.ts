import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateYaml } from '@mesh/policy';
import { describe, expect, it } from 'vitest';

import { checkEnvoyPatchValue } from './patch-value-check.js';

/**
 * The patch value check against Istio's: the cases of `TestValidateEnvoyFilter` in istio/istio
 * `pkg/config/validation/envoyfilter/envoyfilter_test.go` that reach `BuildXDSObjectFromStruct`, then
 * the Go jsonpb rules it relies on (golang/protobuf `jsonpb/decode.go`), each with the path it names.
 */

const EXT_AUTHZ_V3 = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

interface Case {
  name: string;
  applyTo: string;
  value: Record<string, unknown>;
  /** [level, path, message fragment] of every problem, in order. */
  want: [string, (string | number)[], string][];
}

const ISTIO_CASES: Case[] = [
  {
    name: 'invalid patch value (Istio: cannot unmarshal bool into Go value of type string)',
    applyTo: 'CLUSTER',
    value: { name: false },
    want: [['Error', ['name'], 'expected a string, got boolean false']],
  },
  {
    name: 'happy config: cluster lb_policy',
    applyTo: 'CLUSTER',
    value: { lb_policy: 'RING_HASH' },
    want: [],
  },
  {
    name: 'happy config: network filter with a v3 typed_config',
    applyTo: 'NETWORK_FILTER',
    value: { typed_config: { '@type': EXT_AUTHZ_V3 } },
    want: [],
  },
  {
    name: 'deprecated config: a v2 type URL',
    applyTo: 'NETWORK_FILTER',
    value: {
      typed_config: { '@type': 'type.googleapis.com/envoy.config.filter.network.ext_authz.v2.ExtAuthz' },
    },
    want: [
      [
        'Error',
        ['typed_config', '@type'],
        'referenced type unknown (hint: try using the v3 XDS API): could not resolve Any message type',
      ],
    ],
  },
  {
    name: 'deprecated type: an HTTP filter without typed_config',
    applyTo: 'HTTP_FILTER',
    value: {},
    want: [['Warning', [], 'using deprecated types by name without typed_config; ']],
  },
  { name: 'duration marshal', applyTo: 'CLUSTER', value: { dns_refresh_rate: '500ms' }, want: [] },
];

const JSONPB_CASES: Case[] = [
  {
    name: 'JSON names as well as proto names',
    applyTo: 'CLUSTER',
    value: { connectTimeout: '1s', lbPolicy: 'LEAST_REQUEST', per_connection_buffer_limit_bytes: '32768' },
    want: [],
  },
  {
    name: 'an unknown field is a warning (Istio: strict pass)',
    applyTo: 'CLUSTER',
    value: { name: 'c', conect_timeout: '1s' },
    want: [
      ['Warning', ['conect_timeout'], 'unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster'],
    ],
  },
  {
    name: 'an enum name the snapshot lacks is a warning',
    applyTo: 'CLUSTER',
    value: { lb_policy: 'ROUND_ROBN' },
    want: [
      [
        'Warning',
        ['lb_policy'],
        'unknown value "ROUND_ROBN" for enum envoy.config.cluster.v3.Cluster.LbPolicy',
      ],
    ],
  },
  {
    name: 'an enum given as a boolean',
    applyTo: 'CLUSTER',
    value: { lb_policy: true },
    want: [
      ['Error', ['lb_policy'], 'expected a value name of enum envoy.config.cluster.v3.Cluster.LbPolicy'],
    ],
  },
  {
    name: 'a duration given as a number',
    applyTo: 'CLUSTER',
    value: { connect_timeout: 5 },
    want: [['Error', ['connect_timeout'], 'expected a duration such as "1.5s" or "500ms", got number 5']],
  },
  {
    name: 'uint32 out of range, and a fraction',
    applyTo: 'CLUSTER',
    value: { per_connection_buffer_limit_bytes: -1, max_requests_per_connection: 1.5 },
    want: [
      ['Error', ['per_connection_buffer_limit_bytes'], '-1 is out of range for uint32'],
      ['Error', ['max_requests_per_connection'], 'expected an integer (uint32), got number 1.5'],
    ],
  },
  {
    name: 'fields inside typed_config, through nested lists and Anys',
    applyTo: 'NETWORK_FILTER',
    value: {
      name: 'envoy.filters.network.http_connection_manager',
      typed_config: {
        '@type': HCM,
        stat_prefix: 5,
        http_filters: [
          { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER, dynamic_stats: 'yes' } },
        ],
      },
    },
    want: [
      ['Error', ['typed_config', 'stat_prefix'], 'expected a string, got number 5'],
      [
        'Error',
        ['typed_config', 'http_filters', 0, 'typed_config', 'dynamic_stats'],
        'expected true or false',
      ],
    ],
  },
  {
    name: 'a list where a message is expected',
    applyTo: 'LISTENER',
    value: { address: [] },
    want: [['Error', ['address'], 'expected a Address object, got a list']],
  },
  {
    name: 'an Any without @type',
    applyTo: 'HTTP_FILTER',
    value: { name: 'x', typed_config: { inline_code: 'x' } },
    want: [['Error', ['typed_config'], "Any JSON doesn't have '@type'"]],
  },
  {
    name: 'a type URL nobody knows',
    applyTo: 'HTTP_FILTER',
    value: { name: 'x', typed_config: { '@type': 'type.googleapis.com/example.Filter' } },
    want: [
      ['Error', ['typed_config', '@type'], 'referenced type unknown: could not resolve Any message type'],
    ],
  },
  {
    name: 'an extension outside our snapshot that Istio links (Istio ALPN filter)',
    applyTo: 'HTTP_FILTER',
    value: {
      name: 'istio.alpn',
      typed_config: {
        '@type': 'type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig',
      },
    },
    want: [['Warning', ['typed_config', '@type'], 'is not checked: this mesh has no proto for it']],
  },
  {
    name: 'Lua with a TypedStruct, a wrapper and Struct metadata',
    applyTo: 'HTTP_FILTER',
    value: {
      name: 'envoy.filters.http.lua',
      typed_config: {
        '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
        type_url: 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
        value: { inline_code: 'function envoy_on_request(h) end' },
      },
    },
    want: [],
  },
  {
    name: 'wrappers are bare values; bytes are base64',
    applyTo: 'VIRTUAL_HOST',
    value: {
      name: 'vh',
      domains: ['*'],
      include_request_attempt_count: true,
      per_request_buffer_limit_bytes: { value: 1 },
      metadata: { filter_metadata: { x: { any: ['json', 1, null] } } },
    },
    want: [['Error', ['per_request_buffer_limit_bytes'], 'expected an integer (uint32), got an object']],
  },
  {
    name: 'an extension config',
    applyTo: 'EXTENSION_CONFIG',
    value: { name: 'ext', typed_config: { '@type': ROUTER, suppress_envoy_headers: true } },
    want: [],
  },
  { name: 'a bootstrap', applyTo: 'BOOTSTRAP', value: { stats_flush_interval: '10s' }, want: [] },
  {
    name: 'a listener filter',
    applyTo: 'LISTENER_FILTER',
    value: {
      name: 'envoy.filters.listener.tls_inspector',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
      },
    },
    want: [],
  },
];

describe('checkEnvoyPatchValue', () => {
  it.each([...ISTIO_CASES, ...JSONPB_CASES])('$name', ({ applyTo, value, want }) => {
    const problems = checkEnvoyPatchValue(applyTo, value);
    expect(problems.map((p) => [p.level, p.path, p.message])).toEqual(
      want.map(([level, path, message]) => [level, path, expect.stringContaining(message)]),
    );
  });
});

const TESTDATA = join(import.meta.dirname, '..', '..', '..', 'policy', 'src', 'testdata', 'istio-api');
const validate = (file: string, text = readFileSync(join(TESTDATA, file), 'utf8')) =>
  validateYaml(text, file, { checkEnvoyPatchValue });

describe('EnvoyFilter validation with the patch value check', () => {
  it.each(['validation/envoyfilter-valid.yaml', 'bookinfo-policy/productpage_envoy_ratelimit.yaml'])(
    "accepts Istio's %s",
    (file) => {
      expect(validate(file).errors).toEqual([]);
    },
  );

  it('refuses a bad value with the resource, the field path inside patch.value and the reason', () => {
    const text = readFileSync(
      join(TESTDATA, 'bookinfo-policy/productpage_envoy_ratelimit.yaml'),
      'utf8',
    ).replace('failure_mode_deny: true', 'failure_mode_deny: "yes"');
    expect(validate('ratelimit.yaml', text).errors).toEqual([
      expect.objectContaining({
        kind: 'EnvoyFilter',
        namespace: 'istio-system',
        name: 'filter-ratelimit',
        path: 'spec.configPatches[0].patch.value.typed_config.failure_mode_deny',
        message: 'Envoy filter: expected true or false, got string "yes"',
        source: { file: 'ratelimit.yaml', line: 30 },
      }),
    ]);
  });
});
