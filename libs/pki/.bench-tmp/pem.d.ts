/**
 * PEM armour (RFC 7468): callers hand us text files and Kubernetes secrets that concatenate blocks,
 * sometimes with comments or CRLF line ends between them, so decoding is lenient about what lies
 * outside the blocks and strict about what lies inside.
 */
export interface PemBlock {
    label: string;
    der: Buffer;
}
/** Every PEM block of `text`, in order; throws `PKI_INVALID_PEM` on a block that is not base64. */
export declare function decodePemBlocks(text: string): PemBlock[];
/** The DER of every block labelled one of `labels`; throws `PKI_INVALID_PEM` when there is none. */
export declare function decodePem(text: string, labels: readonly string[], what: string): Buffer[];
/** The DER of the only block labelled one of `labels`; more than one is an error. */
export declare function decodeSinglePem(text: string, labels: readonly string[], what: string): Buffer;
/** PEM text for `der`: 64-column base64 lines and a trailing newline (as Go's `pem.Encode` writes). */
export declare function encodePem(label: string, der: Uint8Array): string;
export declare const CERTIFICATE_LABEL = "CERTIFICATE";
export declare const CSR_LABELS: readonly ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];
/** Splits concatenated certificate PEM into one normalized PEM string per certificate. */
export declare function splitCertificatePem(text: string, what?: string): string[];
//# sourceMappingURL=pem.d.ts.map