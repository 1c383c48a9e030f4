import type { Static } from 'typebox';

import { PolicyTargetReference, WorkloadSelector } from '../common.js';
import { listOf, obj, opt, str } from '../schema-helpers.js';
import { WASM_URL_RULE, extensionOrderFields, wasmModuleFields } from './wasm-plugin.js';

/**
 * TrafficExtension (extensions.istio.io/v1alpha1, Istio 1.30): a Wasm module or an inline Lua script in
 * the proxies' filter chains, the successor of WasmPlugin. Fields, bounds and CEL rules follow Istio's
 * CRD (called ExtensionFilter before its release). The mesh's proxy runs no extension, so the resource
 * is validated and stored but not applied (NOT_APPLIED).
 */
export const TrafficExtensionSpec = obj(
  {
    selector: opt(WorkloadSelector),
    targetRefs: opt(listOf(PolicyTargetReference, 'Optional.', { maxItems: 16 })),
    ...extensionOrderFields,
    wasm: opt(
      obj(wasmModuleFields, {
        description: 'WebAssembly filter configuration.',
        validations: [WASM_URL_RULE],
      }),
    ),
    lua: opt(
      obj(
        { inlineCode: str('The inline Lua code to be executed.', { minLength: 1, maxLength: 65536 }) },
        { description: 'Lua filter configuration.' },
      ),
    ),
  },
  {
    description: 'Extend the functionality provided by the Istio proxy through WebAssembly or Lua filters.',
    validations: [
      {
        rule: '(has(self.selector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1',
        message: 'only one of targetRefs or selector can be set',
      },
      { rule: 'has(self.wasm) != has(self.lua)', message: 'exactly one of wasm or lua must be set' },
    ],
  },
);
export type TrafficExtensionSpec = Static<typeof TrafficExtensionSpec>;
