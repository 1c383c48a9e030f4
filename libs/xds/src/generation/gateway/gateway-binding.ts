import type { Gateway, Server, VirtualService } from '@mesh/policy';
import {
  hostMatches,
  isExportedTo,
  labelsMatch,
  resolveHost,
  type MeshSnapshot,
  type Namespaced,
} from '@mesh/registry';

/**
 * Which Gateways configure a gateway proxy, which VirtualServices bind to them and which of their hosts
 * each server exposes: Istio's rules (`pilot/pkg/model/gateway.go`, `core/gateway.go`
 * `pickMatchingGatewayHosts`, `host.NamesForNamespace`), kept apart from the Envoy shapes so they can be
 * tested as a table.
 */

/** The keyword a VirtualService's `gateways` uses for the sidecars of the mesh. */
export const MESH_GATEWAY = 'mesh';

/** A Gateway with its namespace and its `<namespace>/<name>` key (what VirtualServices name). */
export interface BoundGateway {
  key: string;
  namespace: string;
  name: string;
  gateway: Gateway;
}

/** `<namespace>/<name>` of a Gateway. */
export function gatewayKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * The Gateways whose `selector` picks a gateway workload's labels, in any namespace (Istio's default,
 * `PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false`), oldest first. A Gateway without a selector picks every
 * gateway workload, as an empty selector does in Istio.
 */
export function gatewaysSelecting(
  snapshot: MeshSnapshot,
  labels: Readonly<Record<string, string>>,
): BoundGateway[] {
  return snapshot.gateways
    .filter((g: Namespaced<Gateway>) => labelsMatch(g.config.spec.selector ?? {}, labels))
    .map((g) => {
      const name = g.config.metadata.name ?? '';
      return { key: gatewayKey(g.namespace, name), namespace: g.namespace, name, gateway: g.config };
    });
}

/**
 * A `gateways` entry of a VirtualService as a key: `mesh` stays `mesh`, `ns/name` is taken as written,
 * a bare `name` is in the VirtualService's namespace (Istio's `resolveGatewayName`; the old
 * `name.namespace.svc.cluster.local` form names `namespace/name`).
 */
export function resolveGatewayName(entry: string, vsNamespace: string): string {
  if (entry === MESH_GATEWAY) return MESH_GATEWAY;
  if (entry.includes('/')) return entry;
  const [name, namespace] = entry.split('.');
  if (namespace !== undefined && name) return gatewayKey(namespace, name);
  return gatewayKey(vsNamespace, entry);
}

/** The gateways a VirtualService names, resolved; none named means `mesh` only. */
export function virtualServiceGateways(vs: VirtualService, vsNamespace: string): string[] {
  const gateways = vs.spec.gateways ?? [];
  if (gateways.length === 0) return [MESH_GATEWAY];
  return gateways.map((g) => resolveGatewayName(g, vsNamespace));
}

/** Whether a VirtualService binds to a Gateway (its `gateways` name it) or to the mesh's sidecars. */
export function bindsTo(vs: VirtualService, vsNamespace: string, key: string): boolean {
  return virtualServiceGateways(vs, vsNamespace).includes(key);
}

/** A server host `namespace/dnsName`: `.` is the Gateway's namespace, no `/` means any namespace. */
export interface ServerHost {
  namespace: string;
  host: string;
}

export function parseServerHost(entry: string, gatewayNamespace: string): ServerHost {
  const slash = entry.indexOf('/');
  if (slash < 0) return { namespace: '*', host: entry };
  const namespace = entry.slice(0, slash);
  return { namespace: namespace === '.' ? gatewayNamespace : namespace, host: entry.slice(slash + 1) };
}

/** The host names of a server without their namespace parts (what SNI and redirects see). */
export function serverHostNames(server: Server, gatewayNamespace: string): string[] {
  return (server.hosts ?? []).map((h) => parseServerHost(h, gatewayNamespace).host);
}

/**
 * The virtual host names a VirtualService gets on a server: each VirtualService host that a server host
 * visible to the VirtualService's namespace matches, as the narrower of the two (`*` on the server and
 * `bookinfo.com` in the VirtualService give `bookinfo.com`; `*.com` in the VirtualService and
 * `a.com` on the server give `a.com`). Empty: the VirtualService does not apply to this server.
 */
export function matchingHosts(
  server: Server,
  gatewayNamespace: string,
  vs: VirtualService,
  vsNamespace: string,
  domainSuffix: string,
): string[] {
  const visible = (server.hosts ?? [])
    .map((h) => parseServerHost(h, gatewayNamespace))
    .filter((h) => h.namespace === '*' || h.namespace === vsNamespace)
    .map((h) => h.host);
  const out: string[] = [];
  for (const vsHost of vs.spec.hosts ?? []) {
    const host = resolveHost(vsHost, vsNamespace, domainSuffix);
    for (const serverHost of visible) {
      const name = hostMatches(serverHost, host)
        ? host
        : hostMatches(host, serverHost)
          ? serverHost
          : undefined;
      if (name !== undefined && !out.includes(name)) out.push(name);
    }
  }
  return out;
}

/**
 * The VirtualServices bound to a Gateway and exported to the gateway workload's namespace (Istio's
 * `VirtualServicesForGateway` from the proxy's config namespace), each with its namespace, oldest first.
 */
export function virtualServicesBoundTo(
  snapshot: MeshSnapshot,
  gateway: BoundGateway,
  proxyNamespace: string,
): Namespaced<VirtualService>[] {
  return snapshot.allVirtualServices.filter(
    (v) =>
      bindsTo(v.config, v.namespace, gateway.key) &&
      isExportedTo(v.config.spec.exportTo, v.namespace, proxyNamespace),
  );
}
