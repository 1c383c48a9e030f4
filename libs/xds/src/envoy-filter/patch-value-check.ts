import type { EnvoyPatchValueChecker, EnvoyPatchValueProblem } from '@mesh/policy';
import type protobuf from 'protobufjs';

import { EnvoyApiRegistry } from './envoy-api-registry.js';
import { fieldOf, isObject, protoJsonProblems, type ProtoJsonProblem } from './proto-json-check.js';

/**
 * The EnvoyFilter patch value check of Istio's `ValidateEnvoyFilter`: the value is read as the Envoy
 * message `applyTo` names (`xds.BuildXDSObjectFromStruct`), first leniently (a failure refuses the
 * resource; an Any naming an unknown type fails with a hint for v2 names), then strictly (unknown
 * fields are warnings, since a newer Envoy may have them); a value that reads also gets Istio's
 * warnings about filters named without `typed_config` and about type URLs of frozen API versions.
 */

const MESSAGE_OF_APPLY_TO: Readonly<Record<string, string>> = {
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  LISTENER: 'envoy.config.listener.v3.Listener',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};

let registry: EnvoyApiRegistry | undefined;

/**
 * istiod links every go-control-plane package, which our proto snapshot (@grpc/grpc-js-xds) predates
 * in part (contrib and newer extensions), and Istio's own filter protos. A type of a v3 (or later) Envoy
 * package we lack, or of an `istio.` package, is one Istio may know: it is accepted with its fields
 * unchecked, rather than refused as Istio would not.
 */
function mayBeKnownToIstio(name: string, envoyApi: EnvoyApiRegistry): boolean {
  if (name.startsWith('istio.')) return true;
  // v2 and earlier are gone from go-control-plane: Istio refuses them with a hint.
  const pkg = /^(envoy\.[a-z0-9_.]+\.v(?:[3-9]|\d{2,})(?:alpha\d*)?)\.[A-Z]/.exec(name)?.[1];
  return pkg !== undefined && !envoyApi.hasPackage(pkg);
}

export const checkEnvoyPatchValue: EnvoyPatchValueChecker = (applyTo, value) => {
  const envoyApi = (registry ??= new EnvoyApiRegistry());
  const messageName = MESSAGE_OF_APPLY_TO[applyTo];
  if (messageName === undefined) return [error([], `unknown object type for applyTo ${applyTo}`)];
  const type = envoyApi.messageType(messageName) as protobuf.Type;
  const resolveAny = (typeUrl: string) => {
    const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    return (
      envoyApi.messageType(name) ?? (mayBeKnownToIstio(name, envoyApi) ? ('unchecked' as const) : undefined)
    );
  };
  const problems = protoJsonProblems(type, value, resolveAny);
  const errors = problems.filter((p) => p.kind === 'invalid' || p.kind === 'unresolved-type').map(asError);
  if (errors.length > 0) return errors;
  const warnings = problems.map((p) => warning(p.path, p.message));
  const untyped = namedWithoutTypedConfig(type, value);
  if (untyped.length > 0)
    warnings.push(warning([], `using deprecated types by name without typed_config; ${untyped.join(', ')}`));
  const frozen = frozenTypeUrls(type, value, resolveAny);
  if (frozen.length > 0) warnings.push(warning([], `using deprecated type_url(s); ${frozen.join(', ')}`));
  return warnings;
};

function error(path: EnvoyPatchValueProblem['path'], message: string): EnvoyPatchValueProblem {
  return { level: 'Error', path, message };
}

function warning(path: EnvoyPatchValueProblem['path'], message: string): EnvoyPatchValueProblem {
  return { level: 'Warning', path, message };
}

function asError(problem: ProtoJsonProblem): EnvoyPatchValueProblem {
  if (problem.kind !== 'unresolved-type') return error(problem.path, problem.message);
  const hint = problem.message.includes('.v2.') ? ' (hint: try using the v3 XDS API)' : '';
  return error(problem.path, `referenced type unknown${hint}: ${problem.message}`);
}

/**
 * Istio's `recurseMissingTypedConfig`: a message with a `typed_config` field (a filter, an extension)
 * that sets neither it nor `config_discovery` relies on Envoy finding the extension by name, which
 * Envoy has deprecated. Like Istio, it follows singular message fields only.
 */
function namedWithoutTypedConfig(type: protobuf.Type, value: Record<string, unknown>): string[] {
  const found: string[] = [];
  const has = (name: string) => type.fields[name] !== undefined && setField(type, value, name) !== undefined;
  if (type.fields['typed_config'] !== undefined && !has('typed_config') && !has('config_discovery'))
    found.push(String(setField(type, value, 'name') ?? ''));
  for (const [key, fieldValue] of Object.entries(value)) {
    const nested = singularMessage(type, key, fieldValue);
    if (nested !== undefined && /^\.google\.protobuf\./.test(nested.fullName) === false)
      found.push(...namedWithoutTypedConfig(nested, fieldValue as Record<string, unknown>));
  }
  return found;
}

/**
 * Istio's `recurseDeprecatedTypes`: type URLs, in Any fields reached through singular message fields,
 * of packages whose file status is FROZEN (a superseded API version).
 */
function frozenTypeUrls(
  type: protobuf.Type,
  value: Record<string, unknown>,
  resolveAny: (typeUrl: string) => protobuf.Type | 'unchecked' | undefined,
): string[] {
  const found: string[] = [];
  for (const [key, fieldValue] of Object.entries(value)) {
    const nested = singularMessage(type, key, fieldValue);
    if (nested === undefined) continue;
    const record = fieldValue as Record<string, unknown>;
    const typeUrl = record['@type'];
    if (nested.fullName === '.google.protobuf.Any' && typeof typeUrl === 'string') {
      const packed = resolveAny(typeUrl);
      const status = typeof packed === 'object' ? packed.parent?.options?.[FILE_STATUS] : undefined;
      if (status === 'FROZEN') found.push(typeUrl);
    } else found.push(...frozenTypeUrls(nested, record, resolveAny));
  }
  return found;
}

const FILE_STATUS = '(udpa.annotations.file_status).package_version_status';

/** The value of a field given by proto or JSON name. */
function setField(type: protobuf.Type, value: Record<string, unknown>, protoName: string): unknown {
  const entry = Object.entries(value).find(([key]) => fieldOf(type, key)?.name === protoName);
  return entry?.[1] ?? undefined;
}

/** The message type of a singular message field set to an object, else undefined. */
function singularMessage(type: protobuf.Type, key: string, value: unknown): protobuf.Type | undefined {
  const f = fieldOf(type, key);
  if (f === undefined || f.map || f.repeated || !isObject(value)) return undefined;
  const resolved = f.resolve().resolvedType;
  return resolved !== null && 'fields' in resolved ? (resolved as protobuf.Type) : undefined;
}
