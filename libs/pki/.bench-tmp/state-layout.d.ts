/**
 * Where istiod keeps its security state inside `--state-dir` (the local platform and VMs; on
 * Kubernetes the same material lives in Secrets). istiod and `meshctl local token create` both read
 * it, so the names are defined once, here. Key files are written with mode 0600.
 */
export declare const STATE_FILES: {
    /** Self-signed root certificate (used when no plug-in CA directory is given). */
    readonly rootCert: "ca/root-cert.pem";
    readonly rootKey: "ca/root-key.pem";
    /** ES256 key that signs and verifies join tokens. */
    readonly joinTokenKey: "join-token/signing-key.pem";
};
/** File names of Istio's plug-in CA directory (the `cacerts` Secret layout). */
export declare const PLUG_IN_CA_FILES: {
    readonly caCert: "ca-cert.pem";
    readonly caKey: "ca-key.pem";
    readonly certChain: "cert-chain.pem";
    readonly rootCert: "root-cert.pem";
};
//# sourceMappingURL=state-layout.d.ts.map