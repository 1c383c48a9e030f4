import { PkiError } from './errors.js';
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
/** A malformed SPIFFE ID; a `PkiError` with code `PKI_INVALID_SPIFFE_ID`. */
export class SpiffeIdError extends PkiError {
    name = 'SpiffeIdError';
    constructor(message, options) {
        super('PKI_INVALID_SPIFFE_ID', message, options);
    }
}
export function formatSpiffeId(id) {
    validateSpiffeIdentity(id);
    return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}
/** Parses an Istio workload SPIFFE ID; throws `SpiffeIdError` saying what is wrong. */
export function parseSpiffeId(uri) {
    if (!uri.startsWith('spiffe://'))
        throw new SpiffeIdError(`"${uri}" is not a SPIFFE ID: it must start with spiffe://`);
    const rest = uri.slice('spiffe://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0)
        throw new SpiffeIdError(`"${uri}" has no trust domain or no path`);
    const trustDomain = rest.slice(0, slash);
    const segments = rest.slice(slash + 1).split('/');
    if (segments.length !== 4 || segments[0] !== 'ns' || segments[2] !== 'sa') {
        throw new SpiffeIdError(`"${uri}" is not a workload identity: the path must be /ns/<namespace>/sa/<service-account>`);
    }
    const id = { trustDomain, namespace: segments[1], serviceAccount: segments[3] };
    validateSpiffeIdentity(id);
    return id;
}
/**
 * Parses any SPIFFE ID by the SPIFFE spec's rules (lowercase trust domain, non-empty path of
 * unreserved segments, no query, fragment, port or user info); throws `SpiffeIdError`.
 */
export function parseSpiffeUri(uri) {
    if (!uri.startsWith('spiffe://'))
        throw new SpiffeIdError(`"${uri}" is not a SPIFFE ID: it must start with spiffe://`);
    const rest = uri.slice('spiffe://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0)
        throw new SpiffeIdError(`"${uri}" has no trust domain or no path`);
    const trustDomain = rest.slice(0, slash);
    validateTrustDomain(trustDomain);
    const path = rest.slice(slash);
    for (const segment of path.slice(1).split('/')) {
        if (!PATH_SEGMENT.test(segment) || segment === '.' || segment === '..') {
            throw new SpiffeIdError(`"${uri}" has an empty or invalid path segment "${segment}"`);
        }
    }
    return { trustDomain, path };
}
/** Throws `SpiffeIdError` unless `trustDomain` is a valid SPIFFE trust domain name. */
export function validateTrustDomain(trustDomain) {
    if (!TRUST_DOMAIN.test(trustDomain)) {
        throw new SpiffeIdError(`trust domain "${trustDomain}" may only hold lowercase letters, digits, ".", "-" and "_"`);
    }
}
function validateSpiffeIdentity(id) {
    validateTrustDomain(id.trustDomain);
    for (const [what, value] of [
        ['namespace', id.namespace],
        ['service account', id.serviceAccount],
    ]) {
        if (!PATH_SEGMENT.test(value) || value === '.' || value === '..') {
            throw new SpiffeIdError(`${what} "${value}" is not a valid SPIFFE path segment`);
        }
    }
}
//# sourceMappingURL=spiffe.js.map