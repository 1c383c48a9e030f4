import Type, { type Static } from 'typebox';

import { SELECTOR_OR_TARGET_REFS, WorkloadSelector, targetRefFields } from '../common.js';
import { opt } from '../schema-helpers.js';

/**
 * TrafficExtension (extensions.istio.io/v1alpha1): an extension inserted into the proxies' filter chains,
 * the successor of WasmPlugin. Where it attaches (`selector` or `targetRefs`, not both) is checked like
 * every policy's; the rest of the spec is kept as written, since the mesh's proxy runs no extension and
 * a closed schema would refuse fields of newer Istio releases. Validated and stored, not applied
 * (NOT_APPLIED).
 */
export const TrafficExtensionSpec = Type.Object(
  { selector: opt(WorkloadSelector), ...targetRefFields },
  {
    description: 'Extends the proxies with Wasm or Lua filters.',
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-validations': [SELECTOR_OR_TARGET_REFS],
  },
);
export type TrafficExtensionSpec = Static<typeof TrafficExtensionSpec>;
