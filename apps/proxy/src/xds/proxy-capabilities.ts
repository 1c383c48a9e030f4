import {
  compiledFilterChain,
  compiledRouteTable,
  filterChainsOf,
  filterTypeOf,
  knownFilterOf,
  re2ToRegExp,
  TypeUrl,
  type EnvoyListener,
  type EnvoyRouteConfiguration,
  type ResourceUpdate,
  type Secret,
} from '@mesh/xds';

import { secretProblems } from '../tls/sds-secrets.js';
import { transportSocketErrors } from '../tls/tls-parameters.js';

/**
 * What this proxy can run, checked before an update is ACKed: an update naming a filter, cluster type
 * or load-balancing policy the proxy does not implement, a regex it cannot compile, or a cipher suite
 * or curve its TLS library lacks, is NACKed with the resource and field, and the last good config
 * stays in force (Envoy rejects unknown filters the same way). A secret whose certificate, key or
 * roots do not parse, or whose key does not match its certificate, is NACKed too, so the last good
 * one keeps serving. The protocol-level validation of each
 * resource already ran in the ADS client.
 */

/**
 * The filters the proxy runs are the known ones (libs/xds `KNOWN_FILTERS`), each at its level, known by
 * its config type (Envoy's factory lookup); names are free-form instances.
 */
const typeOf = (filter: { name: string; typed_config?: Obj }) => filterTypeOf(filter) ?? '(no typed_config)';

const CLUSTER_TYPES = new Set(['EDS', 'STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'ORIGINAL_DST']);
const LB_POLICIES = new Set([
  'ROUND_ROBIN',
  'LEAST_REQUEST',
  'RANDOM',
  'CLUSTER_PROVIDED',
  'RING_HASH',
  'MAGLEV',
]);

type Obj = Record<string, unknown>;

/** Every `regex` under a value, with its path, so an uncompilable one is named precisely. */
function regexErrors(value: unknown, path: string, errors: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => regexErrors(item, `${path}[${i}]`, errors));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Obj)) {
    if (key === 'regex' && typeof child === 'string') {
      try {
        re2ToRegExp(child);
      } catch (err) {
        errors.push(`${path}.regex: ${(err as Error).message}`);
      }
    } else regexErrors(child, `${path}.${key}`, errors);
  }
}

function listenerErrors(name: string, listener: Obj, errors: string[]): void {
  const chains = ((listener['filter_chains'] ?? []) as Obj[]).map((chain, c): [string, Obj] => [
    `filter_chains[${c}]`,
    chain,
  ]);
  if (listener['default_filter_chain'])
    chains.push(['default_filter_chain', listener['default_filter_chain'] as Obj]);
  chains.forEach(([chainPath, chain]) => {
    errors.push(
      ...transportSocketErrors(
        chain['transport_socket'] as Obj | undefined,
        `Listener ${name}: ${chainPath}.transport_socket`,
      ),
    );
    ((chain['filters'] ?? []) as { name: string; typed_config?: Obj }[]).forEach((filter, f) => {
      const at = `Listener ${name}: ${chainPath}.filters[${f}]`;
      if (!knownFilterOf(filterTypeOf(filter), 'network'))
        errors.push(`${at}.typed_config: unsupported network filter ${filter.name} (${typeOf(filter)})`);
      const httpFilters = (filter.typed_config?.['http_filters'] ?? []) as {
        name: string;
        typed_config?: Obj;
      }[];
      httpFilters.forEach((h, i) => {
        if (!knownFilterOf(filterTypeOf(h), 'http'))
          errors.push(
            `${at}.typed_config.http_filters[${i}].typed_config: unsupported HTTP filter ${h.name} (${typeOf(h)})`,
          );
      });
    });
  });
  regexErrors(listener, `Listener ${name}`, errors);
}

function clusterErrors(name: string, cluster: Obj, errors: string[]): void {
  const type = (cluster['type'] as string | undefined) ?? 'STATIC';
  if (!CLUSTER_TYPES.has(type)) errors.push(`Cluster ${name}: type: unsupported cluster type "${type}"`);
  // `cluster_type` (an extension such as envoy.clusters.aggregate) replaces `type`; none is implemented.
  const custom = (cluster['cluster_type'] as { name?: string } | undefined)?.name;
  if (custom !== undefined)
    errors.push(`Cluster ${name}: cluster_type: unsupported cluster type "${custom}"`);
  errors.push(
    ...transportSocketErrors(
      cluster['transport_socket'] as Obj | undefined,
      `Cluster ${name}: transport_socket`,
    ),
  );
  ((cluster['transport_socket_matches'] ?? []) as Obj[]).forEach((match, i) =>
    errors.push(
      ...transportSocketErrors(
        match['transport_socket'] as Obj | undefined,
        `Cluster ${name}: transport_socket_matches[${i}].transport_socket`,
      ),
    ),
  );
  const lb = (cluster['lb_policy'] as string | undefined) ?? 'ROUND_ROBIN';
  if (!LB_POLICIES.has(lb))
    errors.push(`Cluster ${name}: lb_policy: unsupported load-balancing policy "${lb}"`);
}

/**
 * Compiles what the proxy runs per connection and per request (filter chains with their inline routes,
 * route configurations) now, so the snapshot built from an ACKed update only looks it up, and a config
 * that passed every check above but still cannot be compiled is NACKed instead of failing later.
 */
function compileErrors(typeUrl: string, name: string, resource: Obj, errors: string[]): void {
  try {
    if (typeUrl === TypeUrl.Listener) {
      const listener = resource as unknown as EnvoyListener;
      for (const chain of filterChainsOf(listener)) compiledFilterChain(listener, chain);
    } else if (typeUrl === TypeUrl.RouteConfiguration)
      compiledRouteTable(resource as unknown as EnvoyRouteConfiguration);
  } catch (err) {
    const kind = typeUrl === TypeUrl.Listener ? 'Listener' : 'RouteConfiguration';
    errors.push(`${kind} ${name}: cannot be compiled: ${(err as Error).message}`);
  }
}

/** The reasons to NACK an update; empty when the proxy can apply it. */
export function proxyCapabilityErrors(update: ResourceUpdate): string[] {
  const errors: string[] = [];
  for (const { name, resource } of update.updated) {
    const obj = resource as Obj;
    const before = errors.length;
    if (update.typeUrl === TypeUrl.Listener) listenerErrors(name, obj, errors);
    else if (update.typeUrl === TypeUrl.Cluster) clusterErrors(name, obj, errors);
    else if (update.typeUrl === TypeUrl.RouteConfiguration)
      regexErrors(obj, `RouteConfiguration ${name}`, errors);
    else if (update.typeUrl === TypeUrl.Secret) errors.push(...secretProblems(resource as Secret));
    if (errors.length === before) compileErrors(update.typeUrl, name, obj, errors);
  }
  return errors;
}
