import { isDns1123Label } from './primitives.js';

/**
 * Port protocols as Istio parses them (`pkg/config/protocol`): case-insensitive names, grouped by how
 * the proxy handles them. An empty protocol means "detect" (protocol sniffing).
 */
export type Protocol =
  | 'HTTP'
  | 'HTTP2'
  | 'HTTP_PROXY'
  | 'HTTPS'
  | 'GRPC'
  | 'GRPC-Web'
  | 'TCP'
  | 'TLS'
  | 'Mongo'
  | 'Redis'
  | 'MySQL'
  | 'UDP';

const PROTOCOLS: Readonly<Record<string, Protocol>> = {
  http: 'HTTP',
  http2: 'HTTP2',
  http_proxy: 'HTTP_PROXY',
  https: 'HTTPS',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  tcp: 'TCP',
  tls: 'TLS',
  mongo: 'Mongo',
  redis: 'Redis',
  mysql: 'MySQL',
  udp: 'UDP',
};

export function parseProtocol(name: string | undefined): Protocol | undefined {
  return PROTOCOLS[(name ?? '').toLowerCase()];
}

/** Terminated or passed-through TLS. */
export function isTlsProtocol(protocol: Protocol | undefined): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS';
}

/** Carried over HTTP by the proxy (L7 routing applies). */
export function isHttpProtocol(protocol: Protocol | undefined): boolean {
  return (
    protocol === 'HTTP' ||
    protocol === 'HTTP2' ||
    protocol === 'HTTP_PROXY' ||
    protocol === 'GRPC' ||
    protocol === 'GRPC-Web'
  );
}

export function checkProtocol(name: string | undefined): string | undefined {
  if (name === undefined || name === '' || parseProtocol(name) !== undefined) return undefined;
  return `unsupported protocol: ${name}`;
}

/** Port names are DNS-1123 labels (they become part of generated names). */
export function checkPortName(name: string): string | undefined {
  return isDns1123Label(name) ? undefined : `invalid port name: ${name}`;
}
