import type { Listener } from '../generated/envoy/config/listener/v3/Listener.js';
import { KNOWN_FILTERS } from '../envoy/known-filters.js';
import { TypeUrl } from '../type-urls.js';
import {
  checkAddress,
  checkConfigSource,
  checkTypedConfig,
  type CanonicalAddress,
  type CanonicalAny,
} from './common-checks.js';
import { defineResourceType } from './resource-type.js';
import { checkRouteConfiguration } from './route-configuration.js';
import { checkTlsContext } from './tls-context.js';
import { checkUniqueNames, IssueCollector, type ValidationIssue } from './validation.js';

export type { Listener };

type Obj = Record<string, unknown>;

const HTTP_CONNECTION_MANAGER_TYPE = KNOWN_FILTERS.httpConnectionManager.type;
const TCP_PROXY_TYPE = KNOWN_FILTERS.tcpProxy.type;

function checkHttpConnectionManager(at: IssueCollector, hcm: CanonicalAny): void {
  at.field('stat_prefix').requireString(hcm['stat_prefix'] as string | undefined, 'stat_prefix is required');
  const specifiers = ['rds', 'route_config', 'scoped_routes'].filter((k) => hcm[k] !== undefined);
  if (at.check(specifiers.length === 1, 'exactly one of rds, route_config or scoped_routes is required')) {
    const rds = hcm['rds'] as Obj | undefined;
    if (rds) {
      at.field('rds.route_config_name').requireString(
        rds['route_config_name'] as string | undefined,
        'route_config_name is required',
      );
      checkConfigSource(at.field('rds.config_source'), rds['config_source'] as Obj | undefined);
    }
    if (hcm['route_config'])
      checkRouteConfiguration(at.field('route_config'), hcm['route_config'] as Obj, { requireName: false });
  }
  const filters = (hcm['http_filters'] as Obj[] | undefined) ?? [];
  checkUniqueNames(at.field('http_filters'), filters as { name?: string }[], 'http filter');
  filters.forEach((f, i) => {
    const fa = at.field('http_filters').named(f['name'] as string, i);
    fa.field('name').requireString(f['name'] as string | undefined, 'filter name is required');
    if (f['typed_config'] !== undefined || !f['is_optional'])
      checkTypedConfig(fa.field('typed_config'), f['typed_config'] as CanonicalAny);
  });
  const last = filters[filters.length - 1]?.['typed_config'] as CanonicalAny | undefined;
  at.field('http_filters').check(
    last?.['@type'] === KNOWN_FILTERS.router.type,
    `the last HTTP filter must be the router (${KNOWN_FILTERS.router.name})`,
  );
}

function checkTcpProxy(at: IssueCollector, tcp: CanonicalAny): void {
  at.field('stat_prefix').requireString(tcp['stat_prefix'] as string | undefined, 'stat_prefix is required');
  const specifiers = ['cluster', 'weighted_clusters'].filter((k) => tcp[k] !== undefined);
  if (
    at.check(specifiers.length === 1, 'exactly one of cluster or weighted_clusters is required') &&
    tcp['cluster'] !== undefined
  ) {
    at.field('cluster').requireString(tcp['cluster'] as string, 'cluster name must be non-empty');
  }
}

function checkNetworkFilter(at: IssueCollector, filter: Obj): void {
  at.field('name').requireString(filter['name'] as string | undefined, 'filter name is required');
  const config = filter['typed_config'] as CanonicalAny | undefined;
  const type = checkTypedConfig(at.field('typed_config'), config);
  if (type === HTTP_CONNECTION_MANAGER_TYPE)
    checkHttpConnectionManager(at.field('typed_config'), config as CanonicalAny);
  if (type === TCP_PROXY_TYPE) checkTcpProxy(at.field('typed_config'), config as CanonicalAny);
}

function checkFilterChain(at: IssueCollector, chain: Obj): void {
  const filters = (chain['filters'] as Obj[] | undefined) ?? [];
  filters.forEach((f, i) => checkNetworkFilter(at.field('filters').named(f['name'] as string, i), f));
  const socket = chain['transport_socket'] as Obj | undefined;
  const socketConfig = socket?.['typed_config'] as CanonicalAny;
  if (socket && checkTypedConfig(at.field('transport_socket.typed_config'), socketConfig))
    checkTlsContext(at.field('transport_socket.typed_config'), socketConfig);
}

export const ListenerType = defineResourceType<Listener>({
  typeUrl: TypeUrl.Listener,
  sotwFullState: true,
  nameOf: (listener) => listener.name ?? '',
  validate(listener): ValidationIssue[] {
    const at = new IssueCollector();
    at.field('name').requireString(listener.name, 'listener name is required');
    const api = listener.api_listener as Obj | null | undefined;
    if (api) {
      const config = api['api_listener'] as CanonicalAny | undefined;
      const type = checkTypedConfig(at.field('api_listener.api_listener'), config, [
        HTTP_CONNECTION_MANAGER_TYPE,
      ]);
      if (type) checkHttpConnectionManager(at.field('api_listener.api_listener'), config as CanonicalAny);
      return at.issues;
    }
    checkAddress(at.field('address'), listener.address as CanonicalAddress | undefined, {
      allowZeroPort: true,
    });
    const chains = (listener.filter_chains ?? []) as Obj[];
    at.field('filter_chains').check(
      chains.length > 0 || listener.default_filter_chain != null,
      'at least one filter chain is required',
    );
    checkUniqueNames(at.field('filter_chains'), chains as { name?: string }[], 'filter chain');
    chains.forEach((c, i) => checkFilterChain(at.field('filter_chains').named(c['name'] as string, i), c));
    if (listener.default_filter_chain)
      checkFilterChain(at.field('default_filter_chain'), listener.default_filter_chain as Obj);
    return at.issues;
  },
});
