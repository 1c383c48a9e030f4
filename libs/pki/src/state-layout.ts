/**
 * Where istiod keeps its security state inside `--state-dir` (the local platform and VMs; on
 * Kubernetes the same material lives in Secrets). istiod and `meshctl local token create` both read
 * it, so the names are defined once, here. Key files are written with mode 0600.
 */
export const STATE_FILES = {
  /** Self-signed root certificate (used when no plug-in CA directory is given). */
  rootCert: 'ca/root-cert.pem',
  rootKey: 'ca/root-key.pem',
  /** Roots rotated out but still valid: trusted (and published) beside the current one until they expire. */
  previousRoots: 'ca/previous-roots.pem',
  /** ES256 key that signs and verifies join tokens; replacing it revokes every token signed so far. */
  joinTokenKey: 'join-token/signing-key.pem',
  /** Ids (`jti`) of join tokens revoked one by one, a line each. */
  joinTokenRevocations: 'join-token/revoked-ids',
} as const;

/** File names of Istio's plug-in CA directory (the `cacerts` Secret layout). */
export const PLUG_IN_CA_FILES = {
  caCert: 'ca-cert.pem',
  caKey: 'ca-key.pem',
  certChain: 'cert-chain.pem',
  rootCert: 'root-cert.pem',
} as const;
