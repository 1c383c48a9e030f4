import { type KeyObject, X509Certificate } from 'node:crypto';
import { type KeyUsage } from './x509-extensions.js';
/**
 * What the mesh needs to know about an X.509 certificate (what `istioctl proxy-config secret`
 * shows, what chain checks use), read once with forge.asn1; `x509` is Node's own view of it for
 * signature checks and TLS.
 */
export interface CertificateInfo {
    /** Normalized PEM, ending in a newline. */
    pem: string;
    der: Buffer;
    x509: X509Certificate;
    /** Lowercase hex, no separators (as Istio's `proxy-config secret` prints serials). */
    serialNumber: string;
    subject: string;
    issuer: string;
    /** Exact encodings of the subject and issuer Names. */
    subjectDer: Buffer;
    issuerDer: Buffer;
    notBefore: Date;
    notAfter: Date;
    isCa: boolean;
    pathLength?: number;
    /** Set when the certificate has a KeyUsage extension. */
    keyUsage?: KeyUsage[];
    /** Extended key usage OIDs (serverAuth = 1.3.6.1.5.5.7.3.1, clientAuth = 1.3.6.1.5.5.7.3.2). */
    extKeyUsage: string[];
    uris: string[];
    dnsNames: string[];
    ipAddresses: string[];
    subjectKeyIdentifier?: Buffer;
    publicKey: KeyObject;
    /** The SubjectPublicKeyInfo DER. */
    publicKeyInfo: Buffer;
    signatureAlgorithm: string;
    /** SHA-256 fingerprint, colon-separated uppercase hex (Node's format). */
    fingerprint256: string;
}
/** Reads one certificate from PEM (exactly one CERTIFICATE block) or DER. */
export declare function parseCertificate(input: string | Uint8Array, what?: string): CertificateInfo;
/** Throws `PKI_EXPIRED` / `PKI_NOT_YET_VALID` unless `now` lies within the validity period. */
export declare function checkValidity(certificate: CertificateInfo, now: Date, what: string): void;
/** A short label for messages: the subject, else the SANs, else the serial number. */
export declare function describe(certificate: CertificateInfo): string;
//# sourceMappingURL=certificate-info.d.ts.map