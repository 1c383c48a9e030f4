import { normalizeRequestPath, type PathNormalization } from './http-path.js';
import { parseIpAddress, type IpAddress } from './ip-ranges.js';
import type { JwtIdentity } from './attribute-matchers.js';

/**
 * A request (or, without `http`, a TCP connection) as the inbound sidecar sees it when it authorizes,
 * and the attributes derived from it the way Envoy derives them.
 */
export interface AuthorizationRequest {
  source: {
    /**
     * The peer's identity from its client certificate, without `spiffe://`
     * (`cluster.local/ns/default/sa/frontend`); absent for plaintext. The source namespace, service
     * account and trust domain are all derived from it, never asserted separately: Istio cannot know
     * them for a peer that did not present a certificate.
     */
    principal?: string;
    /** The downstream peer address (`source.ip`, `ipBlocks`). */
    ip?: string;
    /** The original client from X-Forwarded-For or PROXY protocol (`remote.ip`); defaults to `ip`. */
    remoteIp?: string;
  };
  destination: {
    /** The port the connection arrived on (`ports`, `destination.port`). */
    port: number;
    ip?: string;
  };
  /** The TLS server name the client sent (`connection.sni`). */
  sni?: string;
  /** Present for HTTP requests; absent for TCP connections. */
  http?: {
    /** `:authority` / Host. */
    host: string;
    method: string;
    /** The raw `:path`, query included; normalized here exactly as the sidecar does. */
    path: string;
    /** Header names are case-insensitive; repeated headers may be given as a list. */
    headers?: Readonly<Record<string, string | readonly string[]>>;
  };
  /** The JWT a RequestAuthentication validated, if any (`requestPrincipals`, `request.auth.*`). */
  requestAuth?: {
    /** `<iss>/<sub>`; used when `claims` do not carry `iss` and `sub`. */
    principal?: string;
    claims?: Readonly<Record<string, unknown>>;
  };
  /** Envoy dynamic metadata by filter name, for `experimental.envoy.filters.*` conditions. */
  filterMetadata?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The request's attributes, derived once per evaluation. */
export interface RequestAttributes {
  request: AuthorizationRequest;
  isTcp: boolean;
  principal: string | undefined;
  sourceIp: IpAddress | undefined;
  remoteIp: IpAddress | undefined;
  destinationIp: IpAddress | undefined;
  /** The normalized path; `undefined` for TCP. */
  path: string | undefined;
  /** Lower-cased names; repeated headers joined with `,` as Envoy merges them. */
  headers: ReadonlyMap<string, string>;
  jwt: JwtIdentity | undefined;
  /** Why the sidecar rejects the request with 400 before authorization runs, if it does. */
  malformed?: string;
}

function jwtIdentity(auth: AuthorizationRequest['requestAuth']): JwtIdentity | undefined {
  if (auth === undefined) return undefined;
  const { iss, sub } = auth.claims ?? {};
  if (typeof iss === 'string' && typeof sub === 'string') return { issuer: iss, subject: sub };
  const principal = auth.principal;
  if (principal === undefined) return undefined;
  // The issuer may itself be a URL, so the subject is what follows the last slash.
  const slash = principal.lastIndexOf('/');
  return slash < 0
    ? { issuer: principal, subject: '' }
    : { issuer: principal.slice(0, slash), subject: principal.slice(slash + 1) };
}

function parseOptionalIp(text: string | undefined): IpAddress | undefined {
  return text === undefined ? undefined : parseIpAddress(text);
}

export function requestAttributes(
  request: AuthorizationRequest,
  pathNormalization: PathNormalization = 'BASE',
): RequestAttributes {
  const http = request.http;
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(http?.headers ?? {})) {
    const key = name.toLowerCase();
    const joined = typeof value === 'string' ? value : value.join(',');
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? joined : `${previous},${joined}`);
  }
  const normalized = http === undefined ? undefined : normalizeRequestPath(http.path, pathNormalization);
  let malformed: string | undefined;
  if (normalized !== undefined && !normalized.ok) malformed = normalized.reason;
  else if (http !== undefined && http.method !== http.method.toUpperCase()) {
    malformed = `the method ${JSON.stringify(http.method)} is not upper case, which Istio rejects with HTTP 400`;
  }
  return {
    request,
    isTcp: http === undefined,
    principal: request.source.principal === '' ? undefined : request.source.principal,
    sourceIp: parseOptionalIp(request.source.ip),
    remoteIp: parseOptionalIp(request.source.remoteIp ?? request.source.ip),
    destinationIp: parseOptionalIp(request.destination.ip),
    path: normalized?.ok === true ? normalized.path : undefined,
    headers,
    jwt: jwtIdentity(request.requestAuth),
    ...(malformed === undefined ? {} : { malformed }),
  };
}
