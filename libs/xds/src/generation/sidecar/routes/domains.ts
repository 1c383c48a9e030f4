import type { MeshService } from '@mesh/registry';

import { domainName, ipv6Compliant } from './envoy-values.js';

/**
 * The Host header values that reach a service on a port (Istio's `generateVirtualHostDomains` with the
 * port suffixes of proxies that do not ignore the port): the FQDN, the Kubernetes short forms the
 * proxy's DNS search path resolves, and the service VIPs, each with and without `:port`.
 */
export interface VirtualHostDomains {
  domains: string[];
  /** The expanded (non-FQDN) forms, which yield to a service whose FQDN they are. */
  altHosts: string[];
}

/**
 * Istio's `generateAltVirtualHostsForKubernetesService`: from namespace `ns`, `name.ns.svc.<suffix>` is
 * reachable as `name`, `name.ns.svc` and `name.ns`; from elsewhere as `name.ns` and `name.ns.svc`.
 * Hosts outside `.svc.<suffix>` (ServiceEntries) have no short forms.
 */
function altHosts(hostname: string, port: number, proxyNamespace: string, domainSuffix: string): string[] {
  if (!hostname.endsWith(`.svc.${domainSuffix}`)) return [];
  const svc = hostname.indexOf('.svc.');
  const dot = hostname.indexOf('.');
  if (svc <= 0 || dot + 1 >= hostname.length || dot + 1 > svc) return [];
  const name = hostname.slice(0, dot);
  const nameNs = hostname.slice(0, svc);
  const withPort = (hosts: string[]): string[] => hosts.flatMap((h) => [h, domainName(h, port)]);
  if (hostname.slice(dot + 1, svc) === proxyNamespace) return withPort([name, `${nameNs}.svc`, nameNs]);
  return withPort([nameNs, `${nameNs}.svc`]);
}

export function virtualHostDomains(
  service: MeshService,
  port: number,
  proxyNamespace: string,
  domainSuffix: string,
): VirtualHostDomains {
  const alt = altHosts(service.hostname, port, proxyNamespace, domainSuffix);
  const domains = [ipv6Compliant(service.hostname), domainName(service.hostname, port), ...alt];
  for (const address of service.addresses) {
    if (address && address !== '0.0.0.0') domains.push(ipv6Compliant(address), domainName(address, port));
  }
  return { domains, altHosts: alt };
}

/**
 * Istio's `dedupeDomains`: Envoy rejects a domain on two virtual hosts of one route config, so a domain
 * already taken is dropped, as is an expanded form that is itself some service's FQDN.
 */
export function dedupeDomains(
  { domains, altHosts: alt }: VirtualHostDomains,
  taken: Set<string>,
  knownFqdns: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const domain of domains) {
    const key = domain.toLowerCase();
    if (taken.has(key)) continue;
    if (alt.includes(domain) && knownFqdns.has(domain)) continue;
    out.push(domain);
    taken.add(key);
  }
  return out;
}
