import type { TSchema } from 'typebox';

import type { IstioKindName } from '../api-kinds.js';
import { DestinationRuleSpec } from './networking/destination-rule.js';
import { TrafficExtensionSpec } from './extensions/traffic-extension.js';
import { WasmPluginSpec } from './extensions/wasm-plugin.js';
import { EnvoyFilterSpec } from './networking/envoy-filter.js';
import { GatewaySpec } from './networking/gateway.js';
import { ProxyConfigSpec } from './networking/proxy-config-resource.js';
import { ServiceEntrySpec } from './networking/service-entry.js';
import { SidecarSpec } from './networking/sidecar.js';
import { VirtualServiceSpec } from './networking/virtual-service.js';
import { WorkloadEntrySpec } from './networking/workload-entry.js';
import { WorkloadGroupSpec } from './networking/workload-group.js';
import { AuthorizationPolicySpec } from './security/authorization-policy.js';
import { PeerAuthenticationSpec } from './security/peer-authentication.js';
import { RequestAuthenticationSpec } from './security/request-authentication.js';
import { TelemetrySpec } from './telemetry/telemetry.js';

/**
 * The `spec` schema of every Istio kind: the single source of truth for its TypeScript type, its runtime
 * validation and its CRD `openAPIV3Schema`. All served versions share one schema, as in Istio.
 */
export const SPEC_SCHEMAS: Readonly<Record<IstioKindName, TSchema>> = {
  VirtualService: VirtualServiceSpec,
  DestinationRule: DestinationRuleSpec,
  Gateway: GatewaySpec,
  ServiceEntry: ServiceEntrySpec,
  WorkloadEntry: WorkloadEntrySpec,
  WorkloadGroup: WorkloadGroupSpec,
  Sidecar: SidecarSpec,
  EnvoyFilter: EnvoyFilterSpec,
  PeerAuthentication: PeerAuthenticationSpec,
  RequestAuthentication: RequestAuthenticationSpec,
  AuthorizationPolicy: AuthorizationPolicySpec,
  Telemetry: TelemetrySpec,
  ProxyConfig: ProxyConfigSpec,
  WasmPlugin: WasmPluginSpec,
  TrafficExtension: TrafficExtensionSpec,
};
