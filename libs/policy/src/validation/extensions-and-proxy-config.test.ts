import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const WASM_NOT_APPLIED = 'W NOT_APPLIED ';
const url = 'http://test';

/**
 * Istio: pkg/config/validation `ValidateWasmPlugin`, the WasmPlugin CRD's schema and CEL rules, and
 * the cases of testdata/crds/wasm-valid.yaml and wasm-invalid.yaml.
 */
const wasmPlugins: ValidationCase[] = [
  {
    name: 'a full WasmPlugin is valid (and not applied)',
    kind: 'WasmPlugin',
    spec: {
      selector: { matchLabels: { istio: 'ingressgateway' } },
      url: 'file:///opt/filters/openid.wasm',
      sha256: '1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210',
      phase: 'AUTHN',
      pluginConfig: { openid_server: 'authn' },
      match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
      vmConfig: {
        env: [
          { name: 'a', valueFrom: 'HOST' },
          { name: 'b', valueFrom: 'INLINE', value: 'v' },
        ],
      },
    },
    expect: [WASM_NOT_APPLIED],
    messages: ['WasmPlugin is not applied by this mesh'],
  },
  {
    name: 'a URL without a scheme is valid',
    kind: 'WasmPlugin',
    spec: { url: 'test' },
    expect: [WASM_NOT_APPLIED],
  },
  {
    name: 'an oci:// URL is valid',
    kind: 'WasmPlugin',
    spec: { url: 'oci://ghcr.io/x/y:1' },
    expect: [WASM_NOT_APPLIED],
  },
  { name: 'url is required', kind: 'WasmPlugin', spec: {}, expect: ['E SCHEMA_REQUIRED spec.url'] },
  {
    name: 'an empty url is invalid',
    kind: 'WasmPlugin',
    spec: { url: '' },
    expect: ['E SCHEMA_RANGE spec.url'],
  },
  {
    name: 'a URL with another scheme is invalid',
    kind: 'WasmPlugin',
    spec: { url: 'fake://example.com' },
    expect: [WASM_NOT_APPLIED, 'E EXTENSION_INVALID spec.url'],
    messages: ['url must have schema one of [http, https, file, oci]'],
  },
  {
    name: 'a URL that does not parse is invalid',
    kind: 'WasmPlugin',
    spec: { url: '#%blah$#@' },
    expect: [WASM_NOT_APPLIED, 'E EXTENSION_INVALID spec.url'],
  },
  {
    name: 'a sha256 that is not 64 hex digits is invalid',
    kind: 'WasmPlugin',
    spec: { url, sha256: 'foo' },
    expect: ['E SCHEMA_RANGE spec.sha256'],
  },
  {
    name: 'an empty imagePullSecret is invalid',
    kind: 'WasmPlugin',
    spec: { url, imagePullSecret: '' },
    expect: ['E SCHEMA_RANGE spec.imagePullSecret'],
  },
  {
    name: 'an empty pluginName is invalid',
    kind: 'WasmPlugin',
    spec: { url, pluginName: '' },
    expect: ['E SCHEMA_RANGE spec.pluginName'],
  },
  {
    name: 'duplicate env names are invalid',
    kind: 'WasmPlugin',
    spec: { url, vmConfig: { env: [{ name: 'a' }, { name: 'a' }] } },
    expect: [WASM_NOT_APPLIED, 'E EXTENSION_INVALID spec.vmConfig.env[1].name'],
  },
  {
    name: 'a value with valueFrom HOST is invalid',
    kind: 'WasmPlugin',
    spec: { url, vmConfig: { env: [{ name: 'test', valueFrom: 'HOST', value: 'value' }] } },
    expect: [WASM_NOT_APPLIED, 'E EXTENSION_INVALID spec.vmConfig.env[0].value'],
    messages: ['value may only be set when valueFrom is INLINE'],
  },
  {
    name: 'a match port needs a number',
    kind: 'WasmPlugin',
    spec: { url, match: [{ ports: [{}] }] },
    expect: ['E SCHEMA_REQUIRED spec.match[0].ports[0].number'],
  },
  {
    name: 'a wildcard selector label is invalid',
    kind: 'WasmPlugin',
    spec: { url, selector: { matchLabels: { istio: 'bar*' } } },
    expect: [WASM_NOT_APPLIED, 'E LABEL_INVALID spec.selector.matchLabels.istio'],
  },
  {
    name: 'selector and targetRefs together are invalid',
    kind: 'WasmPlugin',
    spec: {
      url,
      selector: { matchLabels: { a: 'b' } },
      targetRefs: [{ kind: 'Service', group: '', name: 'x' }],
    },
    expect: [WASM_NOT_APPLIED, 'E TARGET_REF_INVALID spec'],
  },
];

/** TrafficExtension: the CRD's fields and CEL rules (selector or targetRefs; exactly one of wasm or lua). */
const trafficExtensions: ValidationCase[] = [
  {
    name: 'a Wasm TrafficExtension is valid (and not applied)',
    kind: 'TrafficExtension',
    spec: {
      selector: { matchLabels: { app: 'a' } },
      phase: 'AUTHN',
      priority: 10,
      match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
      wasm: { url: 'oci://x/y', pluginConfig: { rules: [{ prefix: '/p' }] }, failStrategy: 'FAIL_OPEN' },
    },
    expect: ['W NOT_APPLIED '],
  },
  {
    name: 'a Lua TrafficExtension attached to a waypoint is valid (and not applied)',
    kind: 'TrafficExtension',
    spec: {
      targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }],
      phase: 'STATS',
      lua: { inlineCode: 'function envoy_on_request(h) end' },
    },
    expect: ['W NOT_APPLIED '],
  },
  {
    name: 'selector and targetRefs together are invalid',
    kind: 'TrafficExtension',
    spec: {
      selector: { matchLabels: { a: 'b' } },
      targetRefs: [{ kind: 'Service', group: '', name: 'x' }],
      lua: { inlineCode: 'x' },
    },
    expect: ['W NOT_APPLIED ', 'E TARGET_REF_INVALID spec'],
  },
  {
    name: 'an extension is Wasm or Lua, not both',
    kind: 'TrafficExtension',
    spec: { wasm: { url: 'oci://x/y' }, lua: { inlineCode: 'x' } },
    expect: ['W NOT_APPLIED ', 'E EXTENSION_INVALID spec'],
    messages: ['exactly one of wasm or lua must be set'],
  },
  {
    name: 'an extension without Wasm or Lua is invalid',
    kind: 'TrafficExtension',
    spec: { selector: { matchLabels: { a: 'b' } } },
    expect: ['W NOT_APPLIED ', 'E EXTENSION_INVALID spec'],
  },
  {
    name: "the Wasm module's URL scheme and VM variables are checked as WasmPlugin's",
    kind: 'TrafficExtension',
    spec: {
      wasm: {
        url: 'ftp://x/y',
        vmConfig: {
          env: [
            { name: 'A', value: '1' },
            { name: 'A', valueFrom: 'HOST' },
          ],
        },
      },
    },
    expect: [
      'W NOT_APPLIED ',
      'E EXTENSION_INVALID spec.wasm.url',
      'E EXTENSION_INVALID spec.wasm.vmConfig.env[1].name',
    ],
  },
  {
    name: 'a TrafficExtension needs a spec, as its CRD says',
    kind: 'TrafficExtension',
    expect: ['E SCHEMA_REQUIRED spec'],
  },
  {
    name: 'Lua code must not be empty, and fields are those of the CRD',
    kind: 'TrafficExtension',
    spec: { lua: { inlineCode: '' }, targetRef: { kind: 'Service', name: 'x' } },
    expect: ['E SCHEMA_RANGE spec.lua.inlineCode', 'E SCHEMA_UNKNOWN_FIELD spec.targetRef'],
  },
];

/** Istio: `ValidateProxyConfig`, the ProxyConfig CRD and testdata/crds/proxyconfig-(in)valid.yaml. */
const proxyConfigs: ValidationCase[] = [
  {
    name: 'a full ProxyConfig is valid (and not applied)',
    kind: 'ProxyConfig',
    spec: {
      concurrency: 1,
      selector: { matchLabels: { foo: 'bar' } },
      image: { imageType: 'distroless' },
      environmentVariables: { foo: 'baz' },
    },
    expect: ['W NOT_APPLIED '],
  },
  {
    name: 'a negative concurrency is invalid',
    kind: 'ProxyConfig',
    spec: { concurrency: -1 },
    expect: ['E SCHEMA_RANGE spec.concurrency'],
  },
  {
    name: 'an empty selector key is invalid',
    kind: 'ProxyConfig',
    spec: { selector: { matchLabels: { '': 'bar' } } },
    expect: ['W NOT_APPLIED ', 'E LABEL_INVALID spec.selector.matchLabels[""]'],
  },
  {
    name: 'ProxyConfig is served at v1beta1 only',
    kind: 'ProxyConfig',
    object: { apiVersion: 'networking.istio.io/v1' },
    spec: {},
    expect: ['E API_VERSION_NOT_SERVED apiVersion'],
  },
];

describe('WasmPlugin, TrafficExtension and ProxyConfig validation', () => {
  describe('WasmPlugin', () => runCases(wasmPlugins));
  describe('TrafficExtension', () => runCases(trafficExtensions));
  describe('ProxyConfig', () => runCases(proxyConfigs));
});
