import { DEFAULT_MESH_CONFIG, type ResolvedMeshConfig } from '../api/mesh/mesh-config.js';
import { AnalysisContext, annotationsOf } from './analysis-context.js';
import type { AnalysisInput } from './analysis-input.js';
import { analyzeApplicationUid } from './application-uid.js';
import { analyzeAuthorizationPolicies } from './authorization-policies.js';
import { analyzeConflictingMeshGatewayHosts } from './conflicting-mesh-gateway-hosts.js';
import { analyzeDeploymentServices } from './deployment-services.js';
import { analyzeCaCertificates } from './destination-rule-ca-certificates.js';
import { analyzeDestinationRuleSubsets } from './destination-rule-subsets.js';
import { analyzeGatewayCertificates } from './gateway-certificates.js';
import { analyzeConflictingGateways } from './gateway-conflicts.js';
import { analyzeGatewayPorts } from './gateway-ports.js';
import { analyzeIngressRouteSubsets } from './ingress-route-subsets.js';
import { analyzeJwtClaimRoutes } from './jwt-claim-routes.js';
import {
  ANALYSIS_LEVELS,
  formatMessage,
  originName,
  type AnalysisMessage,
  type AnalysisOrigin,
} from './messages.js';
import { analyzeNamespaceInjection } from './namespace-injection.js';
import { schemaMessages } from './schema-messages.js';
import { analyzeServiceEntryAddresses } from './service-entry-addresses.js';
import { analyzeServicePortNames } from './service-port-names.js';
import { analyzeSidecarSelectors } from './sidecar-selectors.js';
import { analyzeTelemetrySelectors } from './telemetry-selectors.js';
import { analyzeDestinationHosts } from './virtual-service-destination-hosts.js';
import { analyzeVirtualServiceGateways } from './virtual-service-gateways.js';
import { analyzeDestinationSubsets } from './virtual-service-subsets.js';

/** An analyzer, by Istio's name and description for it (`istioctl analyze -L` lists the same). */
export interface Analyzer {
  name: string;
  description: string;
  analyze(ctx: AnalysisContext): AnalysisMessage[];
}

export const ANALYZERS: readonly Analyzer[] = [
  {
    name: 'applicationUID.Analyzer',
    description: 'Checks invalid application UID',
    analyze: analyzeApplicationUid,
  },
  {
    name: 'auth.AuthorizationPoliciesAnalyzer',
    description: 'Checks the validity of authorization policies',
    analyze: analyzeAuthorizationPolicies,
  },
  {
    name: 'deployment.MultiServiceAnalyzer',
    description: 'Checks association between services and pods',
    analyze: analyzeDeploymentServices,
  },
  {
    name: 'destinationrule.CaCertificateAnalyzer',
    description: 'Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL',
    analyze: analyzeCaCertificates,
  },
  {
    name: 'destinationrule.SubsetSelectPodAnalyzer',
    description: 'Checks if pods are selected by subsets in destination rules',
    analyze: analyzeDestinationRuleSubsets,
  },
  {
    name: 'gateway.CertificateAnalyzer',
    description: 'Checks a gateway certificate',
    analyze: analyzeGatewayCertificates,
  },
  {
    name: 'gateway.ConflictingGatewayAnalyzer',
    description: "Checks a gateway's selector, port number and hosts",
    analyze: analyzeConflictingGateways,
  },
  {
    name: 'gateway.IngressGatewayPortAnalyzer',
    description: "Checks a gateway's ports against the gateway's Kubernetes service ports",
    analyze: analyzeGatewayPorts,
  },
  {
    name: 'injection.Analyzer',
    description: 'Checks conditions related to Istio sidecar injection',
    analyze: analyzeNamespaceInjection,
  },
  {
    name: 'serviceentry.Analyzer',
    description: 'Checks the validity of ServiceEntry',
    analyze: analyzeServiceEntryAddresses,
  },
  {
    name: 'service.PortNameAnalyzer',
    description: 'Checks the port names associated with each service',
    analyze: analyzeServicePortNames,
  },
  {
    name: 'sidecar.SelectorAnalyzer',
    description:
      "Validates that sidecars that define a workload selector match at least one pod, that there aren't multiple " +
      'sidecar resources that select overlapping pods, and that a namespace has at most one without a selector',
    analyze: analyzeSidecarSelectors,
  },
  {
    name: 'telemetry.SelectorAnalyzer',
    description:
      "Validates that telemetries that define a selector match at least one pod, that there aren't multiple " +
      'telemetry resources that select overlapping pods or have no selector, and that providers are valid',
    analyze: analyzeTelemetrySelectors,
  },
  {
    name: 'virtualservice.ConflictingMeshGatewayHostsAnalyzer',
    description:
      'Checks if multiple virtual services associated with the mesh gateway have conflicting hosts',
    analyze: analyzeConflictingMeshGatewayHosts,
  },
  {
    name: 'virtualservice.DestinationHostAnalyzer',
    description: 'Checks the destination hosts associated with each virtual service',
    analyze: (ctx) => [...analyzeDestinationHosts(ctx), ...analyzeIngressRouteSubsets(ctx)],
  },
  {
    name: 'virtualservice.DestinationRuleAnalyzer',
    description: 'Checks the destination rules associated with each virtual service',
    analyze: analyzeDestinationSubsets,
  },
  {
    name: 'virtualservice.GatewayAnalyzer',
    description: 'Checks the gateways associated with each virtual service',
    analyze: analyzeVirtualServiceGateways,
  },
  {
    name: 'virtualservice.JWTClaimRouteAnalyzer',
    description:
      'Checks the VirtualService using JWT claim based routing has corresponding RequestAuthentication',
    analyze: analyzeJwtClaimRoutes,
  },
];

/** The schema checks, which run on the loader's findings rather than on the context. */
export const SCHEMA_ANALYZER = {
  name: 'schema.ValidationAnalyzer',
  description: 'Runs schema validation as an analysis on Istio resources',
} as const;

/** `--suppress CODE=RESOURCE`: no message with that code on resources matching the pattern (`*` globs). */
export interface Suppression {
  code: string;
  resource: string;
}

export interface AnalyzeOptions {
  /** Report only on resources of this namespace (and cluster-scoped ones); undefined for all namespaces. */
  namespace?: string;
  suppressions?: readonly Suppression[];
  /** The mesh config (`--meshConfigFile`); Istio's defaults when absent. */
  meshConfig?: Readonly<ResolvedMeshConfig>;
}

/** Annotation listing codes (or `*`) not to report on the annotated resource. */
export const ANALYZE_SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

/**
 * Runs every analyzer (and the schema checks) over the input and returns the messages istioctl would
 * print: filtered by namespace and suppressions, sorted (level, code, resource, text), deduplicated.
 */
export function analyzeConfig(input: AnalysisInput, options: AnalyzeOptions = {}): AnalysisMessage[] {
  const ctx = new AnalysisContext(input.resources, options.meshConfig ?? DEFAULT_MESH_CONFIG);
  const all = [...schemaMessages(input.findings), ...ANALYZERS.flatMap((analyzer) => analyzer.analyze(ctx))];
  const suppressedByAnnotation = new Map<string, string[]>();
  for (const resource of input.resources) {
    const codes = annotationsOf(resource)[ANALYZE_SUPPRESS_ANNOTATION];
    if (codes) suppressedByAnnotation.set(originName(resource), codes.split(','));
  }
  const kept = all.filter((message) => {
    const { namespace } = message.origin;
    if (options.namespace !== undefined && namespace !== '' && namespace !== options.namespace) return false;
    const annotated = suppressedByAnnotation.get(originName(message.origin)) ?? [];
    if (annotated.some((code) => code === '*' || code === message.code)) return false;
    return !(options.suppressions ?? []).some(
      (s) => s.code === message.code && suppressionMatches(s.resource, message.origin),
    );
  });
  return sortAndDeduplicate(kept);
}

/**
 * Whether a suppression's resource pattern names the origin. istioctl matches it against
 * `Kind namespace/name`; its help (and older releases) spell resources `Kind name.namespace`, so both
 * spellings are accepted.
 */
export function suppressionMatches(pattern: string, origin: AnalysisOrigin): boolean {
  const dotted =
    origin.namespace === '' ? originName(origin) : `${origin.kind} ${origin.name}.${origin.namespace}`;
  return glob(pattern, originName(origin)) || glob(pattern, dotted);
}

/** `*` matches any run of characters; everything else is literal. */
function glob(pattern: string, value: string): boolean {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's').test(value);
}

function sortAndDeduplicate(messages: AnalysisMessage[]): AnalysisMessage[] {
  const keyed = messages.map((message) => ({ message, line: formatMessage(message) }));
  keyed.sort(
    (a, b) =>
      ANALYSIS_LEVELS.indexOf(a.message.level) - ANALYSIS_LEVELS.indexOf(b.message.level) ||
      compare(a.message.code, b.message.code) ||
      compare(originName(a.message.origin), originName(b.message.origin)) ||
      compare(a.line, b.line),
  );
  return keyed
    .filter((entry, i) => i === 0 || keyed[i - 1]?.line !== entry.line)
    .map((entry) => entry.message);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
