import type {
  NetworkingWorkloadSelector,
  PolicyTargetReference,
  WorkloadSelector,
} from '../../api/common.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkFqdn } from './hosts.js';
import { checkLabelKey, checkLabelValue, isDns1123Label, isNamespaceName } from './primitives.js';

/** Rules shared by several kinds: labels, selectors, target references, exportTo, gateway names. */

export function checkLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: string,
  c: FindingCollector,
): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const at = field(path, key);
    c.check('LABEL_INVALID', at, checkLabelKey(key));
    c.check('LABEL_INVALID', at, checkLabelValue(key, value));
  }
}

/**
 * A selector's labels: no empty keys and no wildcards (Istio matches labels exactly). A selector with
 * no labels selects every workload in the namespace, which is rarely what was meant: a warning.
 */
function checkSelectorLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: string,
  c: FindingCollector,
): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const at = field(path, key);
    if (key === '') c.error('LABEL_INVALID', at, `empty key is not supported in selector: "${key}=${value}"`);
    if (key.includes('*') || value.includes('*')) {
      c.error('LABEL_INVALID', at, `wildcard is not supported in selector: "${key}=${value}"`);
    }
  }
  if (Object.keys(labels ?? {}).length === 0) {
    c.warning(
      'LABEL_INVALID',
      path,
      'workload selector specified without labels; it applies to every workload in the namespace',
    );
  }
}

/** `selector.matchLabels` of security and telemetry policies (and DestinationRule's `workloadSelector`). */
export function checkWorkloadSelector(
  selector: WorkloadSelector | undefined,
  path: string,
  c: FindingCollector,
): void {
  if (selector !== undefined) checkSelectorLabels(selector.matchLabels, field(path, 'matchLabels'), c);
}

/** `workloadSelector.labels` of Sidecar, ServiceEntry and EnvoyFilter. */
export function checkNetworkingSelector(
  selector: NetworkingWorkloadSelector | undefined,
  path: string,
  c: FindingCollector,
): void {
  if (selector !== undefined) checkSelectorLabels(selector.labels, field(path, 'labels'), c);
}

/** The kinds a policy may attach to (`group/kind`, core group written as empty). */
const TARGET_KINDS = new Set([
  '/Service',
  'networking.istio.io/ServiceEntry',
  'gateway.networking.k8s.io/Gateway',
  'gateway.networking.k8s.io/GatewayClass',
]);

function checkTargetRef(ref: PolicyTargetReference, path: string, c: FindingCollector): void {
  if (ref.name === '') c.error('TARGET_REF_INVALID', field(path, 'name'), 'targetRef name must be set');
  if (ref.namespace !== undefined && ref.namespace !== '') {
    c.error(
      'TARGET_REF_INVALID',
      field(path, 'namespace'),
      'targetRef namespace must not be set; cross namespace referencing is not supported',
    );
  }
  const group = ref.group === 'core' ? '' : (ref.group ?? '');
  if (!TARGET_KINDS.has(`${group}/${ref.kind}`)) {
    c.error(
      'TARGET_REF_INVALID',
      path,
      `targetRef must be to a Service, ServiceEntry, Gateway or GatewayClass, but was ${group}/${ref.kind}`,
    );
  }
}

interface Targetable {
  selector?: WorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
}

/** `selector`, `targetRef` and `targetRefs` are mutually exclusive; each is validated on its own. */
export function checkPolicyTargets(spec: Targetable, c: FindingCollector): void {
  const set = [spec.selector, spec.targetRef, spec.targetRefs?.length ? spec.targetRefs : undefined].filter(
    (v) => v !== undefined,
  );
  if (set.length > 1)
    c.error('TARGET_REF_INVALID', 'spec', 'only one of targetRefs or workloadSelector can be set');
  checkWorkloadSelector(spec.selector, 'spec.selector', c);
  if (spec.targetRef !== undefined) checkTargetRef(spec.targetRef, 'spec.targetRef', c);
  spec.targetRefs?.forEach((ref, i) => checkTargetRef(ref, item('spec.targetRefs', i), c));
}

/**
 * `exportTo`: `*` (everyone), `.` (own namespace), `~` (nobody; ServiceEntry only) or namespace names,
 * without duplicates, and `*` or `~` alone.
 */
export function checkExportTo(
  exportTo: readonly string[] | undefined,
  namespace: string,
  c: FindingCollector,
  options: { serviceEntry?: boolean; workloadSelector?: boolean; path?: string } = {},
): void {
  if (exportTo === undefined || exportTo.length === 0) return;
  const path = options.path ?? 'spec.exportTo';
  const seen = new Set<string>();
  exportTo.forEach((entry, i) => {
    const key = entry === '.' ? namespace : entry;
    if (seen.has(key)) {
      c.error(
        'EXPORT_TO_INVALID',
        item(path, i),
        key === entry
          ? `duplicate entries in exportTo for entry ${entry}`
          : `duplicate entries in exportTo: . and current namespace ${namespace}`,
      );
      return;
    }
    seen.add(key);
    const valid =
      entry === '*' ||
      entry === '.' ||
      (entry === '~' && options.serviceEntry === true) ||
      isNamespaceName(entry);
    if (!valid)
      c.error('EXPORT_TO_INVALID', item(path, i), `invalid exportTo value ${JSON.stringify(entry)}`);
  });
  if (seen.has('*') && exportTo.length > 1) {
    c.error(
      'EXPORT_TO_INVALID',
      path,
      'cannot have both public (*) and non-public exportTo values for a resource',
    );
  }
  if (seen.has('~') && exportTo.length > 1)
    c.error('EXPORT_TO_INVALID', path, 'cannot export service entry to no one (~) and someone');
  if (options.workloadSelector === true) {
    if (!seen.has(namespace)) {
      c.error(
        'EXPORT_TO_INVALID',
        path,
        'destination rule with workload selector cannot have exportTo beyond current namespace',
      );
    } else if (seen.size > 1) {
      c.error(
        'EXPORT_TO_INVALID',
        path,
        'destination rule with workload selector cannot have multiple entries in exportTo',
      );
    }
  }
}

/**
 * Gateway references in VirtualServices: `mesh`, `<namespace>/<name>`, or the legacy forms
 * `<name>` / `<name>.<namespace>` (a warning recommends the namespaced form).
 */
export function checkGatewayNames(
  gateways: readonly string[] | undefined,
  path: string,
  c: FindingCollector,
): void {
  (gateways ?? []).forEach((gateway, i) => {
    const at = item(path, i);
    const slash = gateway.indexOf('/');
    if (slash === -1) {
      if (gateway.includes('.')) {
        const [name = '', namespace = ''] = gateway.split('.');
        c.warning(
          'GATEWAY_REF_INVALID',
          at,
          `using legacy gatewayName format ${JSON.stringify(gateway)}; prefer the <namespace>/<name> format: "${namespace}/${name}"`,
        );
      }
      c.check('GATEWAY_REF_INVALID', at, checkFqdn(gateway));
      return;
    }
    const namespace = gateway.slice(0, slash);
    const name = gateway.slice(slash + 1);
    if (namespace === '' || name === '')
      c.error('GATEWAY_REF_INVALID', at, 'config namespace and gateway name cannot be empty');
    else if (!isDns1123Label(namespace))
      c.error('GATEWAY_REF_INVALID', at, `invalid value for namespace: ${JSON.stringify(namespace)}`);
    else if (!isDns1123Label(name))
      c.error('GATEWAY_REF_INVALID', at, `invalid value for gateway name: ${JSON.stringify(name)}`);
  });
}
