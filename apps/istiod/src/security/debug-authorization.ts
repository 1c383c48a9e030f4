import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

import { Metadata } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';

import { authenticateCaller, type Authenticator } from './authenticator.js';

/** Why a debug request was refused: 401 without valid credentials, 403 for the wrong identity. */
export interface DebugRefusal {
  status: 401 | 403;
  message: string;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/**
 * Who may read istiod's `/debug/*` pages on the monitoring port: they show every proxy's config and
 * the mesh's services, so (as Istio 1.29 does by default) a caller must be on this host (loopback) or
 * present a bearer token istiod verifies — a Kubernetes service-account token or a join token — for
 * an identity in istiod's own namespace. `/metrics` and `/ready` stay open for scrapers and probes.
 */
export function debugAuthorization(
  authenticators: readonly Authenticator[],
  istioNamespace: string,
): (req: IncomingMessage) => Promise<DebugRefusal | undefined> {
  return async (req) => {
    if (isLoopback(req.socket.remoteAddress)) return undefined;
    const header = req.headers.authorization;
    if (!header)
      return {
        status: 401,
        message: 'debug endpoints answer loopback callers, or a bearer token of the istio namespace',
      };
    const metadata = new Metadata();
    metadata.set('authorization', header);
    let caller;
    try {
      caller = await authenticateCaller(authenticators, { metadata, auth: {} as AuthContext });
    } catch (err) {
      return { status: 401, message: (err as Error).message };
    }
    if (caller.identity.namespace !== istioNamespace)
      return {
        status: 403,
        message: `namespace ${caller.identity.namespace} may not read debug endpoints (only ${istioNamespace})`,
      };
    return undefined;
  };
}
