import {
  NO_RESPONSE_FLAGS,
  peerTelemetryFromWorkload,
  type ConnectionTelemetry,
  type RequestTelemetry,
} from '../../src/telemetry/index.js';

/** Bookinfo's productpage calling reviews-v2, as the two sidecars describe the call. */
export const PRODUCTPAGE = peerTelemetryFromWorkload({
  workloadName: 'productpage-v1',
  namespace: 'default',
  labels: { app: 'productpage', version: 'v1' },
  identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
  cluster: 'Kubernetes',
});

export const REVIEWS_V2 = peerTelemetryFromWorkload({
  workloadName: 'reviews-v2',
  namespace: 'default',
  labels: { app: 'reviews', version: 'v2' },
  identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
  cluster: 'Kubernetes',
});

export const REVIEWS_SERVICE = {
  host: 'reviews.default.svc.cluster.local',
  name: 'reviews',
  namespace: 'default',
};

export function inboundRequest(overrides: Partial<RequestTelemetry> = {}): RequestTelemetry {
  return {
    reporter: 'destination',
    source: PRODUCTPAGE,
    destination: REVIEWS_V2,
    destinationService: REVIEWS_SERVICE,
    requestProtocol: 'http',
    responseCode: 200,
    responseFlags: NO_RESPONSE_FLAGS,
    connectionSecurityPolicy: 'mutual_tls',
    durationMs: 7.8,
    requestBytes: 350,
    responseBytes: 1200,
    ...overrides,
  };
}

export function inboundConnection(overrides: Partial<ConnectionTelemetry> = {}): ConnectionTelemetry {
  return {
    reporter: 'destination',
    source: PRODUCTPAGE,
    destination: REVIEWS_V2,
    destinationService: REVIEWS_SERVICE,
    responseFlags: NO_RESPONSE_FLAGS,
    connectionSecurityPolicy: 'mutual_tls',
    ...overrides,
  };
}

/** Lines of a Prometheus text exposition for one sample name, e.g. `istio_requests_total`. */
export function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

/** The labels of one exposition line, parsed (values never contain `",` in these tests). */
export function labelsOf(line: string): Record<string, string> {
  const body = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
  return Object.fromEntries([...body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
}

export function valueOf(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
