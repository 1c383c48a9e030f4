/**
 * SPIFFE identities as Istio uses them: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
 */
export interface SpiffeIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

export class SpiffeIdError extends Error {
  override readonly name = 'SpiffeIdError';
  readonly code = 'PKI_INVALID_SPIFFE_ID';
}

export function formatSpiffeId(id: SpiffeIdentity): string {
  validateSpiffeIdentity(id);
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Parses an Istio workload SPIFFE ID; throws `SpiffeIdError` saying what is wrong. */
export function parseSpiffeId(uri: string): SpiffeIdentity {
  if (!uri.startsWith('spiffe://'))
    throw new SpiffeIdError(`"${uri}" is not a SPIFFE ID: it must start with spiffe://`);
  const rest = uri.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new SpiffeIdError(`"${uri}" has no trust domain or no path`);
  const trustDomain = rest.slice(0, slash);
  const segments = rest.slice(slash + 1).split('/');
  if (segments.length !== 4 || segments[0] !== 'ns' || segments[2] !== 'sa') {
    throw new SpiffeIdError(
      `"${uri}" is not a workload identity: the path must be /ns/<namespace>/sa/<service-account>`,
    );
  }
  const id = { trustDomain, namespace: segments[1] as string, serviceAccount: segments[3] as string };
  validateSpiffeIdentity(id);
  return id;
}

function validateSpiffeIdentity(id: SpiffeIdentity): void {
  if (!TRUST_DOMAIN.test(id.trustDomain)) {
    throw new SpiffeIdError(
      `trust domain "${id.trustDomain}" may only hold lowercase letters, digits, ".", "-" and "_"`,
    );
  }
  for (const [what, value] of [
    ['namespace', id.namespace],
    ['service account', id.serviceAccount],
  ] as const) {
    if (!PATH_SEGMENT.test(value) || value === '.' || value === '..') {
      throw new SpiffeIdError(`${what} "${value}" is not a valid SPIFFE path segment`);
    }
  }
}
