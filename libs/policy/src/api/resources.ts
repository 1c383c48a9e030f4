import type { IstioKindName } from '../api-kinds.js';
import type { TrafficExtensionSpec } from './extensions/traffic-extension.js';
import type { WasmPluginSpec } from './extensions/wasm-plugin.js';
import type { ObjectMeta } from './kubernetes/object-meta.js';
import type { DestinationRuleSpec } from './networking/destination-rule.js';
import type { EnvoyFilterSpec } from './networking/envoy-filter.js';
import type { GatewaySpec } from './networking/gateway.js';
import type { ProxyConfigSpec } from './networking/proxy-config-resource.js';
import type { ServiceEntrySpec } from './networking/service-entry.js';
import type { SidecarSpec } from './networking/sidecar.js';
import type { VirtualServiceSpec } from './networking/virtual-service.js';
import type { WorkloadEntrySpec } from './networking/workload-entry.js';
import type { WorkloadGroupSpec } from './networking/workload-group.js';
import type { AuthorizationPolicySpec } from './security/authorization-policy.js';
import type { PeerAuthenticationSpec } from './security/peer-authentication.js';
import type { RequestAuthenticationSpec } from './security/request-authentication.js';
import type { TelemetrySpec } from './telemetry/telemetry.js';

/** The spec type of each Istio kind. */
export interface IstioSpecs {
  VirtualService: VirtualServiceSpec;
  DestinationRule: DestinationRuleSpec;
  Gateway: GatewaySpec;
  ServiceEntry: ServiceEntrySpec;
  WorkloadEntry: WorkloadEntrySpec;
  WorkloadGroup: WorkloadGroupSpec;
  Sidecar: SidecarSpec;
  EnvoyFilter: EnvoyFilterSpec;
  PeerAuthentication: PeerAuthenticationSpec;
  RequestAuthentication: RequestAuthenticationSpec;
  AuthorizationPolicy: AuthorizationPolicySpec;
  Telemetry: TelemetrySpec;
  ProxyConfig: ProxyConfigSpec;
  WasmPlugin: WasmPluginSpec;
  TrafficExtension: TrafficExtensionSpec;
}

/** An Istio custom resource of kind `K`, as stored (any served apiVersion). */
export interface IstioResource<K extends IstioKindName = IstioKindName> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: IstioSpecs[K];
  /** Written by the control plane through the status subresource; never validated. */
  status?: unknown;
}

export type VirtualService = IstioResource<'VirtualService'>;
export type DestinationRule = IstioResource<'DestinationRule'>;
export type Gateway = IstioResource<'Gateway'>;
export type ServiceEntry = IstioResource<'ServiceEntry'>;
export type WorkloadEntry = IstioResource<'WorkloadEntry'>;
export type WorkloadGroup = IstioResource<'WorkloadGroup'>;
export type Sidecar = IstioResource<'Sidecar'>;
export type EnvoyFilter = IstioResource<'EnvoyFilter'>;
export type PeerAuthentication = IstioResource<'PeerAuthentication'>;
export type RequestAuthentication = IstioResource<'RequestAuthentication'>;
export type AuthorizationPolicy = IstioResource<'AuthorizationPolicy'>;
export type Telemetry = IstioResource<'Telemetry'>;
