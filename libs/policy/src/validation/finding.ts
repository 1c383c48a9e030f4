/**
 * Findings: what validation reports. Every finding names the resource (`Kind namespace/name`), the field
 * (`spec.http[0].route[1].weight`), the reason, and a stable code for its category, so tools can
 * suppress or count findings by code (like `istioctl analyze --suppress`).
 */

export type FindingLevel = 'Error' | 'Warning';

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
}

export interface Finding {
  code: FindingCode;
  level: FindingLevel;
  kind: string;
  /** Empty when the resource has no namespace. */
  namespace: string;
  /** Empty when the resource has no name. */
  name: string;
  /** Field path from the resource root, e.g. `spec.http[0].route[1].weight`; empty for the whole resource. */
  path: string;
  message: string;
  source?: SourceLocation;
}

/**
 * The finding codes, one per category, with the Istio analyzer message each one surfaces as (Istio
 * reports webhook errors as IST0106 SchemaValidationError and warnings as IST0133 SchemaWarning).
 */
export const FINDING_CODES = {
  YAML_SYNTAX: { istio: 'IST0106', summary: 'The YAML document cannot be parsed.' },
  SIZE_LIMIT: { istio: 'IST0106', summary: 'A config file or YAML document is above its size limit.' },
  FINDINGS_TRUNCATED: { istio: 'IST0106', summary: 'A file has more findings than are listed.' },
  RESOURCE_MALFORMED: {
    istio: 'IST0106',
    summary: 'The document is not a Kubernetes object (apiVersion, kind, metadata).',
  },
  API_VERSION_NOT_SERVED: { istio: 'IST0106', summary: 'The kind is not served at this apiVersion.' },
  METADATA_INVALID: {
    istio: 'IST0106',
    summary: 'metadata.name or metadata.namespace is missing or malformed.',
  },
  ANNOTATION_INVALID: {
    istio: 'IST0106',
    summary:
      'An annotation Istio reserves or restricts (istio.io/dry-run, internal.istio.io/...) is misused.',
  },
  SCHEMA_TYPE: { istio: 'IST0106', summary: 'A field has the wrong type.' },
  SCHEMA_REQUIRED: { istio: 'IST0106', summary: 'A required field is missing.' },
  SCHEMA_UNKNOWN_FIELD: { istio: 'IST0106', summary: 'A field is not part of the Istio API.' },
  SCHEMA_ENUM: { istio: 'IST0106', summary: 'A field has a value outside its enumeration.' },
  SCHEMA_RANGE: {
    istio: 'IST0106',
    summary: 'A value, string or list is outside its allowed size or range.',
  },
  SCHEMA_INVALID: { istio: 'IST0106', summary: 'The value does not match the schema.' },
  ONE_OF: { istio: 'IST0106', summary: 'Mutually exclusive fields are set together.' },
  HOST_INVALID: {
    istio: 'IST0106',
    summary: 'A host name, wildcard or namespace/host reference is malformed.',
  },
  PORT_INVALID: { istio: 'IST0106', summary: 'A port number, name or protocol is invalid.' },
  ADDRESS_INVALID: { istio: 'IST0106', summary: 'An IP address, CIDR or Unix socket path is invalid.' },
  DURATION_INVALID: { istio: 'IST0106', summary: 'A duration is malformed, below 1ms or finer than 1ms.' },
  REGEX_INVALID: { istio: 'IST0106', summary: 'A regular expression is not valid RE2.' },
  PERCENT_INVALID: { istio: 'IST0106', summary: 'A percentage is outside 0..100.' },
  LABEL_INVALID: { istio: 'IST0106', summary: 'A label key or value, or a workload selector, is invalid.' },
  TARGET_REF_INVALID: { istio: 'IST0106', summary: 'A targetRef is invalid or combined with a selector.' },
  EXPORT_TO_INVALID: { istio: 'IST0106', summary: 'exportTo has duplicates or invalid visibility values.' },
  HEADER_INVALID: { istio: 'IST0106', summary: 'A header name or value is invalid.' },
  ROUTE_INVALID: { istio: 'IST0106', summary: 'A route rule conflicts with itself or lacks a destination.' },
  WEIGHT_INVALID: {
    istio: 'IST0106',
    summary: 'A route weight is negative, or every destination of a split has weight 0.',
  },
  DESTINATION_INVALID: { istio: 'IST0106', summary: 'A route, mirror or proxy destination is invalid.' },
  HTTP_POLICY_INVALID: {
    istio: 'IST0106',
    summary: 'A redirect, rewrite, retry, fault, CORS or direct response is invalid.',
  },
  GATEWAY_REF_INVALID: { istio: 'IST0106', summary: 'A gateway reference (namespace/name) is invalid.' },
  RULE_UNREACHABLE: {
    istio: 'IST0130',
    summary: 'A route rule can never match because an earlier rule does.',
  },
  MATCH_INEFFECTIVE: { istio: 'IST0131', summary: 'A match duplicates a match of an earlier rule.' },
  TRAFFIC_POLICY_INVALID: {
    istio: 'IST0106',
    summary: 'A traffic policy (load balancer, pool, outlier detection) is invalid.',
  },
  SUBSET_INVALID: { istio: 'IST0106', summary: 'A DestinationRule subset is invalid or duplicated.' },
  TLS_INVALID: { istio: 'IST0106', summary: 'TLS settings are inconsistent with their mode.' },
  SERVER_INVALID: { istio: 'IST0106', summary: 'A Gateway server is invalid.' },
  SERVICE_ENTRY_INVALID: {
    istio: 'IST0106',
    summary: 'ServiceEntry resolution, endpoints, addresses or ports conflict.',
  },
  WORKLOAD_INVALID: { istio: 'IST0106', summary: 'A WorkloadEntry, WorkloadGroup or its probe is invalid.' },
  SIDECAR_INVALID: { istio: 'IST0106', summary: 'A Sidecar listener or policy is invalid.' },
  AUTHZ_ACTION_INVALID: {
    istio: 'IST0106',
    summary: 'AuthorizationPolicy action, rules and provider are inconsistent.',
  },
  AUTHZ_RULE_INVALID: { istio: 'IST0106', summary: 'An AuthorizationPolicy rule (from, to) is invalid.' },
  AUTHZ_CONDITION_INVALID: {
    istio: 'IST0106',
    summary: 'An AuthorizationPolicy `when` condition is invalid.',
  },
  MTLS_INVALID: { istio: 'IST0106', summary: 'PeerAuthentication mTLS settings are invalid.' },
  JWT_RULE_INVALID: { istio: 'IST0106', summary: 'A RequestAuthentication JWT rule is invalid.' },
  TELEMETRY_INVALID: { istio: 'IST0106', summary: 'A Telemetry provider, tag or override is invalid.' },
  ENVOY_FILTER_INVALID: {
    istio: 'IST0106',
    summary: 'An EnvoyFilter patch lacks applyTo, patch or value, or its match does not fit applyTo.',
  },
  EXTENSION_INVALID: {
    istio: 'IST0106',
    summary: 'A WasmPlugin or TrafficExtension is invalid (URL scheme, duplicate env or ports).',
  },
  DEPRECATED: { istio: 'IST0133', summary: 'A deprecated field is used.' },
  DUPLICATE_RESOURCE: {
    istio: 'IST0106',
    summary:
      'The same resource (kind, namespace, name) is defined more than once; the first definition is used.',
  },
  NOT_APPLIED: {
    istio: 'IST0133',
    summary: 'The resource is accepted and stored but this mesh does not act on it.',
  },
} as const;

export type FindingCode = keyof typeof FINDING_CODES;

/** Istio's origin string: `Kind namespace/name`, or `Kind name` without a namespace. */
export function findingOrigin(finding: Pick<Finding, 'kind' | 'namespace' | 'name'>): string {
  const ref = finding.namespace === '' ? finding.name : `${finding.namespace}/${finding.name}`;
  return ref === '' ? finding.kind : `${finding.kind} ${ref}`;
}

/**
 * One line in `istioctl analyze`'s log format:
 * `Error [WEIGHT_INVALID] (VirtualService default/reviews vs.yaml:12) spec.http[0].route: ...`.
 */
export function formatFinding(finding: Finding): string {
  const where = finding.source === undefined ? '' : `${finding.source.file}:${finding.source.line}`;
  const origin = [findingOrigin(finding), where].filter((part) => part !== '').join(' ');
  const field = finding.path === '' ? '' : `${finding.path}: `;
  return `${finding.level} [${finding.code}] (${origin}) ${field}${finding.message}`;
}
