export { CertificateAuthority, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_WORKLOAD_TTL_SECONDS, MAX_WORKLOAD_TTL_SECONDS, } from './certificate-authority.js';
export { checkValidity, parseCertificate } from './certificate-info.js';
export { createCsr, parseCsr } from './csr.js';
export { isPkiError, PKI_ERROR_CODES, PkiError } from './errors.js';
export { detectKeyAlgorithm, generateKeyPair, generateKeyPairAsync, KEY_ALGORITHMS, loadPrivateKey, loadPublicKey, } from './keys.js';
export { decodePemBlocks, encodePem, splitCertificatePem } from './pem.js';
export { createIntermediate, createSelfSignedRoot, DEFAULT_INTERMEDIATE_TTL_SECONDS, DEFAULT_ROOT_TTL_SECONDS, } from './root-ca.js';
export { DEFAULT_GRACE_PERIOD_RATIO, DEFAULT_GRACE_PERIOD_RATIO_JITTER, renewalDelayMs, renewalTime, } from './rotation.js';
export { formatSpiffeId, parseSpiffeId, parseSpiffeUri, SpiffeIdError, validateTrustDomain, } from './spiffe.js';
export { TrustBundle } from './trust-bundle.js';
export { CA_SERVICE_NAME, caServiceDefinition, } from './ca-protocol.js';
export { createJoinToken, generateJoinTokenKey, JOIN_TOKEN_AUDIENCE, JOIN_TOKEN_ISSUER, looksLikeJoinToken, verifyJoinToken, } from './join-token.js';
export { PLUG_IN_CA_FILES, STATE_FILES } from './state-layout.js';
//# sourceMappingURL=index.js.map