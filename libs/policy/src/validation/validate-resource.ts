import { istioKindByName, istioKindOf, type IstioKind } from '../api-kinds.js';
import { kubernetesKindOf } from '../api/kubernetes/kinds.js';
import type { ObjectMeta } from '../api/kubernetes/object-meta.js';
import type { IstioResource } from '../api/resources.js';
import type { LoadedResource } from '../loader/load-yaml.js';
import { FindingCollector, type Locator } from './collector.js';
import type { ValidationChecks } from './envoy-patch-value.js';
import type { Finding, SourceLocation } from './finding.js';
import { parentPath } from '../field-paths.js';
import { checkAuthorizationPolicy } from './rules/authorization-policy.js';
import { checkIstioAnnotations } from './rules/annotations.js';
import { checkNotApplied } from './rules/not-applied.js';
import { checkPeerAuthentication, checkRequestAuthentication } from './rules/authentication.js';
import { checkDestinationRule } from './rules/destination-rule.js';
import { checkEnvoyFilter } from './rules/envoy-filter.js';
import { checkProxyConfig, checkTrafficExtension, checkWasmPlugin } from './rules/extensions.js';
import { checkGateway } from './rules/gateway.js';
import { isKubernetesName, isNamespaceName } from './rules/primitives.js';
import { checkServiceEntry } from './rules/service-entry.js';
import { checkSidecar } from './rules/sidecar.js';
import { checkTelemetry } from './rules/telemetry.js';
import { checkVirtualService } from './rules/virtual-service.js';
import { checkWorkloadEntry, checkWorkloadGroup } from './rules/workload.js';
import { checkSpecSchema } from './schema-check.js';

export interface ValidationResult {
  errors: Finding[];
  warnings: Finding[];
}

/** Where the object came from, so findings can say `file:line`; and the checks owned by other libraries. */
export interface ValidateOptions extends ValidationChecks {
  /** The document's location (its first line). */
  source?: SourceLocation;
  /** Lines of individual fields, keyed by field path (as the loader records them). */
  fieldLines?: ReadonlyMap<string, number>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Finds the line of a field, or of its closest enclosing field the file spells out, or of the document. */
export function fieldLocator(options: ValidateOptions): Locator {
  const { source, fieldLines } = options;
  if (source === undefined) return () => undefined;
  return (path) => {
    for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
      const line = fieldLines?.get(p);
      if (line !== undefined) return { file: source.file, line };
    }
    return source;
  };
}

/**
 * Validates one object the way Istio's admission webhook would: the apiVersion must be served, the
 * spec must match the kind's schema, then the kind's semantic rules run. Kubernetes kinds get their
 * metadata checked; kinds the mesh does not know pass without findings.
 */
export function validateResource(object: unknown, options: ValidateOptions = {}): ValidationResult {
  const metadata: ObjectMeta = isObject(object) && isObject(object['metadata']) ? object['metadata'] : {};
  const kind = isObject(object) && typeof object['kind'] === 'string' ? object['kind'] : '';
  const apiVersion = isObject(object) && typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const c = new FindingCollector(
    {
      kind,
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
      name: typeof metadata.name === 'string' ? metadata.name : '',
    },
    fieldLocator(options),
  );
  if (!isObject(object) || kind === '' || apiVersion === '') {
    c.error('RESOURCE_MALFORMED', '', 'a Kubernetes object needs a string apiVersion and kind');
    return { errors: c.errors, warnings: c.warnings };
  }
  const istioKind = istioKindOf(apiVersion, kind);
  const sameKindOtherVersion = istioKindByName(apiVersion, kind);
  if (istioKind === undefined && sameKindOtherVersion !== undefined) {
    const served = sameKindOtherVersion.versions.map((v) => `${sameKindOtherVersion.group}/${v}`).join(', ');
    c.error(
      'API_VERSION_NOT_SERVED',
      'apiVersion',
      `${kind} is not served at ${apiVersion}; use one of ${served}`,
    );
    return { errors: c.errors, warnings: c.warnings };
  }
  // Kinds the mesh does not read pass untouched: their naming rules are not ours to enforce.
  if (istioKind === undefined && kubernetesKindOf(apiVersion, kind) === undefined)
    return { errors: [], warnings: [] };
  checkMetadata(object['metadata'], c);
  if (istioKind !== undefined) checkIstioResource(istioKind, object, metadata, c, options);
  return { errors: c.errors, warnings: c.warnings };
}

function checkMetadata(metadata: unknown, c: FindingCollector): void {
  if (!isObject(metadata)) {
    c.error('METADATA_INVALID', 'metadata', 'metadata is required');
    return;
  }
  const { name, generateName, namespace } = metadata;
  if (typeof name !== 'string' || name === '') {
    if (typeof generateName !== 'string' || generateName === '')
      c.error('METADATA_INVALID', 'metadata.name', 'metadata.name is required');
  } else if (!isKubernetesName(name)) {
    c.error(
      'METADATA_INVALID',
      'metadata.name',
      `invalid name ${JSON.stringify(name)}: must be a lowercase DNS-1123 subdomain`,
    );
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || !isNamespaceName(namespace))) {
    c.error(
      'METADATA_INVALID',
      'metadata.namespace',
      `invalid namespace ${JSON.stringify(namespace)}: must be a lowercase DNS-1123 label`,
    );
  }
}

function checkIstioResource(
  kind: IstioKind,
  object: Record<string, unknown>,
  metadata: ObjectMeta,
  c: FindingCollector,
  checks: ValidationChecks,
): void {
  let spec = object['spec'];
  checkIstioAnnotations(kind.kind, metadata.annotations, spec, c);
  if (spec === undefined || spec === null) {
    if (kind.specRequired) {
      c.error('SCHEMA_REQUIRED', 'spec', 'required field is missing');
      return;
    }
    spec = {};
  }
  spec = withoutNullFields(spec);
  if (!checkSpecSchema(kind.kind, spec, c)) return;
  const resource = { ...object, metadata, spec } as IstioResource;
  checkSemantics(resource, c, checks);
  checkNotApplied(kind.kind, spec, c);
}

/**
 * `field:` with no value is null in YAML. Kubernetes prunes such fields and Istio reads them as unset,
 * so they are dropped before validation rather than reported as type errors.
 */
export function withoutNullFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullFields);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNullFields(v)]),
  );
}

/** Dispatches to the kind's semantic rules; the spec already matches its schema. */
function checkSemantics(resource: IstioResource, c: FindingCollector, checks: ValidationChecks): void {
  const namespace = resource.metadata.namespace ?? '';
  const name = resource.metadata.name ?? '';
  switch (resource.kind) {
    case 'VirtualService':
      return checkVirtualService(resource.spec as IstioResource<'VirtualService'>['spec'], namespace, c);
    case 'DestinationRule':
      return checkDestinationRule(resource.spec as IstioResource<'DestinationRule'>['spec'], namespace, c);
    case 'Gateway':
      return checkGateway(resource.spec as IstioResource<'Gateway'>['spec'], name, c);
    case 'ServiceEntry':
      return checkServiceEntry(resource.spec as IstioResource<'ServiceEntry'>['spec'], resource.metadata, c);
    case 'WorkloadEntry':
      return checkWorkloadEntry(
        resource.spec as IstioResource<'WorkloadEntry'>['spec'],
        'spec',
        { allowFqdnAddress: true },
        c,
      );
    case 'WorkloadGroup':
      return checkWorkloadGroup(resource.spec as IstioResource<'WorkloadGroup'>['spec'], c);
    case 'Sidecar':
      return checkSidecar(resource.spec as IstioResource<'Sidecar'>['spec'], c);
    case 'EnvoyFilter':
      // Recognised, checked and stored, so manifests that carry one still apply, but never turned into config.
      c.warning('NOT_APPLIED', '', 'EnvoyFilter is not applied by this mesh');
      return checkEnvoyFilter(
        resource.spec as IstioResource<'EnvoyFilter'>['spec'],
        c,
        checks.checkEnvoyPatchValue,
      );
    case 'PeerAuthentication':
      return checkPeerAuthentication(resource.spec as IstioResource<'PeerAuthentication'>['spec'], c);
    case 'RequestAuthentication':
      return checkRequestAuthentication(resource.spec as IstioResource<'RequestAuthentication'>['spec'], c);
    case 'AuthorizationPolicy':
      return checkAuthorizationPolicy(resource.spec as IstioResource<'AuthorizationPolicy'>['spec'], c);
    case 'Telemetry':
      return checkTelemetry(resource.spec as IstioResource<'Telemetry'>['spec'], c);
    case 'ProxyConfig':
      return checkProxyConfig(resource.spec as IstioResource<'ProxyConfig'>['spec'], c);
    case 'WasmPlugin':
      return checkWasmPlugin(resource.spec as IstioResource<'WasmPlugin'>['spec'], c);
    case 'TrafficExtension':
      return checkTrafficExtension(resource.spec as IstioResource<'TrafficExtension'>['spec'], c);
  }
}

/** Validates a resource the loader produced, so findings carry its file and the line of each field. */
export function validateLoadedResource(
  resource: Pick<LoadedResource, 'object' | 'source' | 'fieldLines'>,
  checks: ValidationChecks = {},
): ValidationResult {
  return validateResource(resource.object, {
    ...checks,
    source: resource.source,
    fieldLines: resource.fieldLines,
  });
}
