export {
  CertificateAuthority,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_WORKLOAD_TTL_SECONDS,
  MAX_WORKLOAD_TTL_SECONDS,
  type CaCertificateRequest,
  type CaPemOptions,
  type CertificateAuthorityOptions,
  type IssuedCertificate,
  type ServerCertificateRequest,
  type WorkloadCertificateRequest,
} from './certificate-authority.js';
export { checkValidity, parseCertificate, type CertificateInfo } from './certificate-info.js';
export { createCsr, parseCsr, type CreateCsrOptions, type ParseCsrOptions, type ParsedCsr } from './csr.js';
export { isPkiError, PKI_ERROR_CODES, PkiError, type PkiErrorCode } from './errors.js';
export {
  detectKeyAlgorithm,
  generateKeyPair,
  generateKeyPairAsync,
  KEY_ALGORITHMS,
  loadPrivateKey,
  loadPublicKey,
  type KeyAlgorithm,
  type KeyPair,
} from './keys.js';
export { decodePemBlocks, encodePem, splitCertificatePem, type PemBlock } from './pem.js';
export {
  createIntermediate,
  createSelfSignedRoot,
  DEFAULT_INTERMEDIATE_TTL_SECONDS,
  DEFAULT_ROOT_TTL_SECONDS,
  type IntermediateOptions,
  type SelfSignedRootOptions,
} from './root-ca.js';
export {
  DEFAULT_GRACE_PERIOD_RATIO,
  DEFAULT_GRACE_PERIOD_RATIO_JITTER,
  renewalDelayMs,
  renewalTime,
  type RenewalTimeOptions,
} from './rotation.js';
export {
  formatSpiffeId,
  parseSpiffeId,
  parseSpiffeUri,
  SpiffeIdError,
  validateTrustDomain,
  type SpiffeIdentity,
  type SpiffeUri,
} from './spiffe.js';
export { TrustBundle, type VerifiedChain, type VerifyChainOptions } from './trust-bundle.js';
export type { KeyUsage } from './x509-extensions.js';
export {
  CA_SERVICE_NAME,
  caServiceDefinition,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from './ca-protocol.js';
export {
  createJoinToken,
  generateJoinTokenKey,
  JOIN_TOKEN_AUDIENCE,
  JOIN_TOKEN_ISSUER,
  joinTokenId,
  looksLikeJoinToken,
  verifyJoinToken,
  type JoinTokenClaims,
} from './join-token.js';
export { PLUG_IN_CA_FILES, STATE_FILES } from './state-layout.js';
export { JoinTokenTrust, revokeAllJoinTokens, revokeJoinTokenIds } from './join-token-trust.js';
export { readOrCreateSecretFile } from './state-secret-file.js';
export { CaClient, type CaClientOptions } from './ca-client.js';
export { InMemoryCertificateProvider } from './certificate-provider.js';
export {
  DEFAULT_ROOT_CHECK_INTERVAL_SECONDS,
  DEFAULT_ROOT_GRACE_PERIOD_PERCENTAGE,
  rootRotationDecision,
  rotateSelfSignedRoot,
  unexpiredRoots,
  type RootRotationDecision,
} from './root-rotation.js';
