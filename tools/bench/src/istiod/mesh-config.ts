import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The mesh the istiod benchmark loads: M Kubernetes Services `svc-<i>` (namespace default, one port
 * `http` 8080), each backed by two WorkloadEntries (version v1 and v2); DestinationRules with subsets
 * v1/v2 for the first DR_SERVICES services; one VirtualService splitting svc-0 90/10 between them. It
 * also fixes what each simulated proxy subscribes to, so the fleet child and the parent agree on it.
 */

export const NAMESPACE = 'default';
export const PORT = 8080;
/** Services with a DestinationRule (and so with v1/v2 subset clusters). */
export const DR_SERVICES = 100;
/** Services per generated YAML file (each file is one multi-document stream). */
const SERVICES_PER_FILE = 250;
/** Services each simulated proxy talks to, as a gRPC client of ~10 backends would. */
export const SERVICES_PER_PROXY = 10;
/** The service whose VirtualService is edited, and the one whose endpoint moves. */
export const ROUTED_SERVICE = 0;
export const MOVED_SERVICE = 1;
/** The address the moved WorkloadEntry (svc-1, v1) gets; no other endpoint uses 10.200.x.x. */
export const MOVED_ADDRESS = '10.200.0.1';

export const fqdn = (i: number): string => `svc-${i}.${NAMESPACE}.svc.cluster.local`;
/** Proxyless gRPC listener and route names: `<fqdn>:<port>`. */
export const hostPort = (i: number): string => `${fqdn(i)}:${PORT}`;
export const clusterName = (i: number, subset = ''): string => `outbound|${PORT}|${subset}|${fqdn(i)}`;

/** Every outbound cluster of a service: the service itself, plus its subsets when it has a DestinationRule. */
export function clustersOf(i: number): string[] {
  return i < DR_SERVICES ? [clusterName(i), clusterName(i, 'v1'), clusterName(i, 'v2')] : [clusterName(i)];
}

/**
 * The services proxy `p` uses: the routed and the moved service (so every proxy sees both changes, the
 * worst-case fan-out), plus 8 others in a window that slides with `p`, so all services are used.
 */
export function servicesOf(p: number, services: number): number[] {
  const others = Math.min(SERVICES_PER_PROXY - 2, services - 2);
  const chosen = [ROUTED_SERVICE, MOVED_SERVICE];
  for (let k = 0; k < others; k++) chosen.push(2 + ((p * others + k) % (services - 2)));
  return chosen;
}

/** A subscription set: names per xDS type (LDS, RDS, CDS, EDS short names). */
export interface ProxySubscription {
  listeners: string[];
  routes: string[];
  clusters: string[];
}

export function subscriptionOf(p: number, services: number): ProxySubscription {
  const chosen = servicesOf(p, services);
  return {
    listeners: chosen.map(hostPort),
    routes: chosen.map(hostPort),
    clusters: chosen.flatMap(clustersOf),
  };
}

function endpointAddress(i: number, host: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.${host}`;
}

function serviceDocuments(i: number, moved: boolean): string {
  const entry = (version: string, host: number) => {
    const address =
      moved && i === MOVED_SERVICE && version === 'v1' ? MOVED_ADDRESS : endpointAddress(i, host);
    return `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: svc-${i}-${version}, namespace: ${NAMESPACE} }
spec:
  address: ${address}
  labels: { app: svc-${i}, version: ${version} }
  serviceAccount: svc-${i}
`;
  };
  return `apiVersion: v1
kind: Service
metadata: { name: svc-${i}, namespace: ${NAMESPACE} }
spec:
  selector: { app: svc-${i} }
  ports:
    - { name: http, port: ${PORT}, targetPort: ${PORT} }
---
${entry('v1', 1)}---
${entry('v2', 2)}`;
}

function destinationRule(i: number): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: svc-${i}, namespace: ${NAMESPACE} }
spec:
  host: svc-${i}
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;
}

/** Writes through a temporary name and renames, so istiod's watcher never reads a half-written file. */
function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const servicesFile = (dir: string, chunk: number) => join(dir, `services-${chunk}.yaml`);

function writeServicesFile(dir: string, chunk: number, services: number, moved: boolean): void {
  const docs: string[] = [];
  for (let i = chunk * SERVICES_PER_FILE; i < Math.min(services, (chunk + 1) * SERVICES_PER_FILE); i++)
    docs.push(serviceDocuments(i, moved));
  writeAtomically(servicesFile(dir, chunk), docs.join('---\n'));
}

/** svc-0 split `v1Weight`/`100 - v1Weight` between its subsets. */
export function writeVirtualService(dir: string, v1Weight: number): void {
  writeAtomically(
    join(dir, 'virtual-service.yaml'),
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: svc-${ROUTED_SERVICE}, namespace: ${NAMESPACE} }
spec:
  hosts: [svc-${ROUTED_SERVICE}]
  http:
    - route:
        - destination: { host: svc-${ROUTED_SERVICE}, subset: v1 }
          weight: ${v1Weight}
        - destination: { host: svc-${ROUTED_SERVICE}, subset: v2 }
          weight: ${100 - v1Weight}
`,
  );
}

/** The whole mesh, VirtualService at 90/10; returns the number of YAML documents written. */
export function writeMesh(dir: string, services: number): number {
  for (let chunk = 0; chunk * SERVICES_PER_FILE < services; chunk++)
    writeServicesFile(dir, chunk, services, false);
  const rules = Math.min(DR_SERVICES, services);
  writeAtomically(
    join(dir, 'destination-rules.yaml'),
    Array.from({ length: rules }, (_, i) => destinationRule(i)).join('---\n'),
  );
  writeVirtualService(dir, 90);
  return services * 3 + rules + 1;
}

/**
 * Moves svc-1's v1 endpoint by rewriting the services file that holds it (as an operator editing the
 * file would: istiod re-reads the whole 750-document file).
 */
export function moveEndpoint(dir: string, services: number): void {
  writeServicesFile(dir, Math.floor(MOVED_SERVICE / SERVICES_PER_FILE), services, true);
}
