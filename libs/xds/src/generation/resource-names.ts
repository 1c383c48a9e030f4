/**
 * Istio's xDS resource names (DESIGN.md §2, istio-facts §7.2): clusters `outbound|<port>|<subset>|<fqdn>`
 * and `inbound|<port>||`; proxyless gRPC listeners and routes `<fqdn>:<port>`.
 */
export function outboundClusterName(port: number, subset: string, hostname: string): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

/** Parses `outbound|9080|v1|reviews.default.svc.cluster.local`. */
export function parseOutboundClusterName(
  name: string,
): { port: number; subset: string; hostname: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port)) return undefined;
  return { port, subset: parts[2] as string, hostname: parts[3] as string };
}

/** `host:port` as proxyless gRPC clients ask for it (`xds:///reviews.default.svc.cluster.local:9080`). */
export function hostPortName(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}

export function parseHostPort(name: string): { hostname: string; port: number } | undefined {
  const colon = name.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(name.slice(colon + 1));
  return Number.isInteger(port) && port > 0 ? { hostname: name.slice(0, colon), port } : undefined;
}
