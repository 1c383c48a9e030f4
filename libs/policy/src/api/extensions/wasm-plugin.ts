import Type, { type Static } from 'typebox';

import { SELECTOR_OR_TARGET_REFS, WorkloadSelector, targetRefFields } from '../common.js';
import { enumOf, freeForm, int32, listOf, obj, opt, str } from '../schema-helpers.js';

/**
 * WasmPlugin (extensions.istio.io/v1alpha1): a Wasm module loaded into the proxies' filter chains. The
 * mesh's proxy runs no Wasm, so the resource is validated and stored but not applied (NOT_APPLIED).
 * Fields and bounds follow Istio's CRD (`extensions/v1alpha1/wasm.proto`).
 */

const EnvVar = obj(
  {
    name: str('Name of the environment variable.', { minLength: 1, maxLength: 256 }),
    valueFrom: opt(enumOf(['INLINE', 'HOST'], "Source for the environment variable's value.")),
    value: opt(str('Value for the environment variable.', { maxLength: 2048 })),
  },
  {
    validations: [
      {
        rule: "(has(self.valueFrom) ? self.valueFrom : '') != 'HOST' || !has(self.value)",
        message: 'value may only be set when valueFrom is INLINE',
      },
    ],
  },
);

const PortSelector = obj({
  number: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port number.' }),
});

/** Which traffic an extension sees: by direction and destination port. */
export const TrafficSelector = obj({
  mode: opt(
    enumOf(
      ['UNDEFINED', 'CLIENT', 'SERVER', 'CLIENT_AND_SERVER'],
      'Criteria for selecting traffic by their direction.',
    ),
  ),
  ports: opt(
    listOf(PortSelector, 'Criteria for selecting traffic by their destination port.', {
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['number'],
    }),
  ),
});

/** Where in the filter chain an extension goes, and in what order within that phase. */
export const extensionOrderFields = {
  phase: opt(
    enumOf(
      ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'],
      'Determines where in the filter chain this extension is to be injected.',
    ),
  ),
  priority: opt(int32('Determines ordering of extensions in the same `phase`.', { nullable: true })),
  match: opt(
    listOf(TrafficSelector, 'Specifies the criteria to determine which traffic is passed to the extension.'),
  ),
};

/** Istio's CEL rule on a Wasm module's `url`, verbatim from its CRDs. */
export const WASM_URL_RULE = {
  rule: "isURL(self.url) ? (url(self.url).getScheme() in ['', 'http', 'https', 'oci', 'file']) : (isURL('http://' + self.url) && url('http://' + self.url).getScheme() in ['', 'http', 'https', 'oci', 'file'])",
  message: 'url must have schema one of [http, https, file, oci]',
};

/** The Wasm module and how the proxy loads it: WasmPlugin's own fields, TrafficExtension's `wasm`. */
export const wasmModuleFields = {
  url: str('URL of a Wasm module or OCI container.', { minLength: 1 }),
  sha256: opt(
    str('SHA256 checksum that will be used to verify Wasm module or OCI container.', {
      pattern: '(^$|^[a-f0-9]{64}$)',
    }),
  ),
  imagePullPolicy: opt(
    enumOf(
      ['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'],
      'The pull behaviour to be applied when fetching Wasm module by either OCI image or `http/https`.',
    ),
  ),
  imagePullSecret: opt(str('Credentials to use for OCI image pulling.', { minLength: 1, maxLength: 253 })),
  verificationKey: opt(
    str('Public key that will be used to verify signatures of signed OCI images or Wasm modules.'),
  ),
  pluginConfig: opt(freeForm('The configuration that will be passed on to the plugin.')),
  pluginName: opt(
    str('The plugin name to be used in the Envoy configuration (used to be called `rootID`).', {
      minLength: 1,
      maxLength: 256,
    }),
  ),
  failStrategy: opt(
    enumOf(
      ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'],
      'Specifies the failure behavior for the plugin due to fatal errors.',
    ),
  ),
  vmConfig: opt(
    obj({
      env: opt(
        listOf(EnvVar, 'Specifies environment variables to be injected to this VM.', {
          maxItems: 256,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
    }),
  ),
  type: opt(
    enumOf(
      ['UNSPECIFIED_PLUGIN_TYPE', 'HTTP', 'NETWORK'],
      'Specifies the type of Wasm Extension to be used.',
    ),
  ),
};

export const WasmPluginSpec = obj(
  {
    selector: opt(WorkloadSelector),
    ...targetRefFields,
    ...wasmModuleFields,
    ...extensionOrderFields,
  },
  {
    description:
      'Extend the functionality provided by the Istio proxy through WebAssembly filters. See more details at: https://istio.io/docs/reference/config/proxy_extensions/wasm-plugin.html',
    validations: [SELECTOR_OR_TARGET_REFS, WASM_URL_RULE],
  },
);
export type WasmPluginSpec = Static<typeof WasmPluginSpec>;
