import type { TrafficExtensionSpec } from '../../api/extensions/traffic-extension.js';
import type { WasmPluginSpec } from '../../api/extensions/wasm-plugin.js';
import type { ProxyConfigSpec } from '../../api/networking/proxy-config-resource.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { checkPolicyTargets, checkWorkloadSelector } from './common.js';

/**
 * WasmPlugin, TrafficExtension and ProxyConfig (Istio's `ValidateWasmPlugin`, `ValidateProxyConfig` and
 * the CEL rules of their CRDs). The mesh's proxies run no Wasm or Lua and take their settings from their
 * own flags, so a valid resource is stored but not applied: a NOT_APPLIED warning says so.
 */

const WASM_SCHEMES = new Set(['', 'http', 'https', 'oci', 'file']);

/** The URL's scheme as the CRD's CEL reads it: `test` has none (read as `http://test`). */
function checkWasmUrl(url: string): string | undefined {
  if (url === '') return 'url field needs to be set';
  const parse = (text: string) => {
    try {
      return new URL(text);
    } catch {
      return undefined;
    }
  };
  const parsed = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url) ? parse(url) : parse(`http://${url}`);
  const scheme = parsed?.protocol.slice(0, -1) ?? '';
  if (parsed === undefined || !WASM_SCHEMES.has(scheme))
    return 'url must have schema one of [http, https, file, oci]';
  return undefined;
}

type WasmModule = Pick<WasmPluginSpec, 'url' | 'vmConfig'>;
type TrafficSelectors = WasmPluginSpec['match'];

/** A Wasm module (WasmPlugin's spec, TrafficExtension's `wasm`): its URL and unique VM variables. */
function checkWasmModule(wasm: WasmModule, path: string, c: FindingCollector): void {
  c.check('EXTENSION_INVALID', field(path, 'url'), checkWasmUrl(wasm.url));
  const names = new Set<string>();
  wasm.vmConfig?.env?.forEach((env, i) => {
    const at = item(nested(path, 'vmConfig.env'), i);
    if (names.has(env.name))
      c.error('EXTENSION_INVALID', field(at, 'name'), `Duplicate value: ${JSON.stringify(env.name)}`);
    names.add(env.name);
    if (env.valueFrom === 'HOST' && env.value !== undefined)
      c.error('EXTENSION_INVALID', field(at, 'value'), 'value may only be set when valueFrom is INLINE');
  });
}

/** `match[].ports` is a list map keyed by number in the CRD: a port appears once per selector. */
function checkTrafficSelectors(match: TrafficSelectors, c: FindingCollector): void {
  match?.forEach((selector, i) => {
    const ports = new Set<number>();
    selector.ports?.forEach((port, p) => {
      if (ports.has(port.number))
        c.error(
          'EXTENSION_INVALID',
          item(field(item('spec.match', i), 'ports'), p),
          `Duplicate value: ${port.number}`,
        );
      ports.add(port.number);
    });
  });
}

export function checkWasmPlugin(spec: WasmPluginSpec, c: FindingCollector): void {
  c.warning('NOT_APPLIED', '', 'WasmPlugin is not applied by this mesh: its proxies run no Wasm');
  checkPolicyTargets(spec, c);
  checkWasmModule(spec, 'spec', c);
  checkTrafficSelectors(spec.match, c);
}

export function checkTrafficExtension(spec: TrafficExtensionSpec, c: FindingCollector): void {
  c.warning('NOT_APPLIED', '', 'TrafficExtension is not applied by this mesh: its proxies run no extensions');
  checkPolicyTargets(spec, c);
  // The CRD's CEL rule: the extension is a Wasm module or a Lua script.
  if ((spec.wasm === undefined) === (spec.lua === undefined))
    c.error('EXTENSION_INVALID', 'spec', 'exactly one of wasm or lua must be set');
  if (spec.wasm !== undefined) checkWasmModule(spec.wasm, 'spec.wasm', c);
  checkTrafficSelectors(spec.match, c);
}

export function checkProxyConfig(spec: ProxyConfigSpec, c: FindingCollector): void {
  c.warning(
    'NOT_APPLIED',
    '',
    'ProxyConfig is not applied by this mesh: proxies take their settings from their flags',
  );
  checkWorkloadSelector(spec.selector, 'spec.selector', c);
}
