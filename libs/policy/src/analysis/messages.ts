import type { SourceLocation } from '../validation/finding.js';
import type { AnalysisResource } from './analysis-input.js';

/**
 * Analysis messages with Istio's codes, names, levels and texts (`pkg/config/analysis/msg/messages.yaml`),
 * so what `meshctl analyze` prints reads, greps and suppresses like `istioctl analyze` output.
 */

export type AnalysisLevel = 'Error' | 'Warning' | 'Info';

/** Worst first: the order Istio sorts and compares levels in. */
export const ANALYSIS_LEVELS: readonly AnalysisLevel[] = ['Error', 'Warning', 'Info'];

/** Whether `level` is at least as severe as `threshold`. */
export function isAtLeast(level: AnalysisLevel, threshold: AnalysisLevel): boolean {
  return ANALYSIS_LEVELS.indexOf(level) <= ANALYSIS_LEVELS.indexOf(threshold);
}

export const MESSAGE_TYPES = {
  ReferencedResourceNotFound: { code: 'IST0101', level: 'Error' },
  NamespaceNotInjected: { code: 'IST0102', level: 'Info' },
  PodMissingProxy: { code: 'IST0103', level: 'Warning' },
  SchemaValidationError: { code: 'IST0106', level: 'Error' },
  ConflictingMeshGatewayVirtualServiceHosts: { code: 'IST0109', level: 'Error' },
  ConflictingSidecarWorkloadSelectors: { code: 'IST0110', level: 'Error' },
  MultipleSidecarsWithoutWorkloadSelectors: { code: 'IST0111', level: 'Error' },
  VirtualServiceDestinationPortSelectorRequired: { code: 'IST0112', level: 'Error' },
  DeploymentAssociatedToMultipleServices: { code: 'IST0116', level: 'Warning' },
  PortNameIsNotUnderNamingConvention: { code: 'IST0118', level: 'Info' },
  NoMatchingWorkloadsFound: { code: 'IST0127', level: 'Warning' },
  NoServerCertificateVerificationDestinationLevel: { code: 'IST0128', level: 'Warning' },
  NoServerCertificateVerificationPortLevel: { code: 'IST0129', level: 'Warning' },
  VirtualServiceUnreachableRule: { code: 'IST0130', level: 'Warning' },
  VirtualServiceIneffectiveMatch: { code: 'IST0131', level: 'Info' },
  VirtualServiceHostNotFoundInGateway: { code: 'IST0132', level: 'Warning' },
  SchemaWarning: { code: 'IST0133', level: 'Warning' },
  ServiceEntryAddressesRequired: { code: 'IST0134', level: 'Warning' },
  DeploymentConflictingPorts: { code: 'IST0137', level: 'Warning' },
  GatewayDuplicateCertificate: { code: 'IST0138', level: 'Warning' },
  IngressRouteRulesNotAffected: { code: 'IST0140', level: 'Warning' },
  InvalidApplicationUID: { code: 'IST0144', level: 'Warning' },
  ConflictingGateways: { code: 'IST0145', level: 'Error' },
  JwtClaimBasedRoutingWithoutRequestAuthN: { code: 'IST0149', level: 'Error' },
  ExternalNameServiceTypeInvalidPortName: { code: 'IST0150', level: 'Warning' },
  InvalidTelemetryProvider: { code: 'IST0157', level: 'Warning' },
  ConflictingTelemetryWorkloadSelectors: { code: 'IST0159', level: 'Error' },
  MultipleTelemetriesWithoutWorkloadSelectors: { code: 'IST0160', level: 'Error' },
  GatewayPortNotDefinedOnService: { code: 'IST0162', level: 'Warning' },
  IneffectivePolicy: { code: 'IST0167', level: 'Warning' },
  DestinationRuleSubsetNotSelectPods: { code: 'IST0173', level: 'Error' },
  UnknownDestinationRuleHost: { code: 'IST0174', level: 'Warning' },
} as const satisfies Record<string, { code: string; level: AnalysisLevel }>;

export type MessageName = keyof typeof MESSAGE_TYPES;

/**
 * Every code of Istio's catalogue (retired ones excluded), implemented here or not: `--suppress` of
 * a code outside it is a typo worth a warning; suppressing one `meshctl` never reports is harmless.
 */
export const ISTIO_ANALYSIS_CODES: ReadonlySet<string> = new Set([
  'IST0001',
  'IST0002',
  'IST0101',
  'IST0102',
  'IST0103',
  'IST0106',
  'IST0107',
  'IST0108',
  'IST0109',
  'IST0110',
  'IST0111',
  'IST0112',
  'IST0116',
  'IST0118',
  'IST0123',
  ...Array.from({ length: 177 - 125 + 1 }, (_, i) => `IST0${125 + i}`),
]);

/** The resource a message is about: Istio's origin (`Kind namespace/name`). */
export interface AnalysisOrigin {
  kind: string;
  /** Empty for cluster-scoped resources. */
  namespace: string;
  name: string;
}

export interface AnalysisMessage {
  code: string;
  name: MessageName;
  level: AnalysisLevel;
  origin: AnalysisOrigin;
  /** The file and line of the field at fault (or of the resource), when it came from a file. */
  source?: SourceLocation;
  /** The text, as Istio's template renders it. */
  message: string;
}

/** Istio's `FriendlyName`: `Kind namespace/name`, or `Kind name` without a namespace. */
export function originName(origin: AnalysisOrigin): string {
  return origin.namespace === ''
    ? `${origin.kind} ${origin.name}`
    : `${origin.kind} ${origin.namespace}/${origin.name}`;
}

/** Istio's documentation page for a code, with the `ref` istioctl adds. */
export function documentationUrl(code: string): string {
  return `https://istio.io/latest/docs/reference/config/analysis/${code.toLowerCase()}/?ref=istioctl-analyze`;
}

/**
 * A message about `resource`, located at the line of `path` (a field path such as
 * `spec.http[0].route[1].destination.host`) when the file has it, else at the resource.
 */
export function newMessage(
  name: MessageName,
  resource: AnalysisResource,
  text: string,
  path?: string,
): AnalysisMessage {
  const type = MESSAGE_TYPES[name];
  const line = path === undefined ? undefined : resource.fieldLines.get(path);
  const source =
    resource.source === undefined
      ? undefined
      : { file: resource.source.file, line: line ?? resource.source.line };
  return {
    code: type.code,
    name,
    level: type.level,
    origin: { kind: resource.kind, namespace: resource.namespace, name: resource.name },
    ...(source === undefined ? {} : { source }),
    message: text,
  };
}

/** Go's `%q` of a string (what Istio's templates quote references with). */
export function quoted(value: string): string {
  return JSON.stringify(value);
}

/** Go's `%v` of a list of strings: `[a b]`. */
export function goList(values: readonly (string | number)[]): string {
  return `[${values.join(' ')}]`;
}

/** One line of istioctl's log format: `Error [IST0101] (VirtualService default/x vs.yaml:12) Referenced ...`. */
export function formatMessage(message: AnalysisMessage): string {
  const where = message.source === undefined ? '' : ` ${message.source.file}:${message.source.line}`;
  return `${message.level} [${message.code}] (${originName(message.origin)}${where}) ${message.message}`;
}
