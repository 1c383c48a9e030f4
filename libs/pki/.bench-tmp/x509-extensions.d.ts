import { type Asn1 } from './der.js';
import { type PkiErrorCode } from './errors.js';
/** X.509 v3 extensions (RFC 5280 §4.2) that Istio's certificates carry, and their OIDs. */
export declare const OID: {
    readonly subjectKeyIdentifier: "2.5.29.14";
    readonly keyUsage: "2.5.29.15";
    readonly subjectAltName: "2.5.29.17";
    readonly basicConstraints: "2.5.29.19";
    readonly authorityKeyIdentifier: "2.5.29.35";
    readonly extKeyUsage: "2.5.29.37";
    readonly serverAuth: "1.3.6.1.5.5.7.3.1";
    readonly clientAuth: "1.3.6.1.5.5.7.3.2";
    readonly extensionRequest: "1.2.840.113549.1.9.14";
    readonly organizationName: "2.5.4.10";
    readonly commonName: "2.5.4.3";
};
export interface SubjectAltNames {
    uris: string[];
    dnsNames: string[];
    ipAddresses: string[];
}
export declare function extension(extnId: string, critical: boolean, value: Asn1): Asn1;
/** Critical when the subject is empty, as RFC 5280 §4.2.1.6 requires and Istio does. */
export declare function subjectAltNameExtension(names: Partial<SubjectAltNames>, critical: boolean): Asn1;
/** Reads GeneralNames from an extnValue; names of other kinds (email, directory) are ignored. */
export declare function readSubjectAltNames(extnValue: Buffer, code: PkiErrorCode, what: string): SubjectAltNames;
/** BasicConstraints, always critical (as Go writes it). */
export declare function basicConstraintsExtension(ca: boolean, pathLength?: number): Asn1;
export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
/** KeyUsage, critical; a named-bit BIT STRING with trailing zero bits dropped (X.690 §11.2.2). */
export declare function keyUsageExtension(usages: readonly KeyUsage[]): Asn1;
/** The usages set in a KeyUsage extnValue. */
export declare function readKeyUsage(extnValue: Buffer, code: PkiErrorCode, what: string): Set<KeyUsage>;
export declare function extKeyUsageExtension(purposes: readonly string[]): Asn1;
export declare function subjectKeyIdentifierExtension(keyId: Buffer): Asn1;
export declare function authorityKeyIdentifierExtension(keyId: Buffer): Asn1;
/** The keyIdentifier of a SubjectKeyIdentifier extnValue. */
export declare function readKeyIdentifier(extnValue: Buffer, code: PkiErrorCode, what: string): Buffer;
export interface RawExtension {
    critical: boolean;
    value: Buffer;
}
/** Extensions by OID from a SEQUENCE OF Extension; a repeated OID is malformed (RFC 5280 §4.2). */
export declare function readExtensions(node: Asn1 | undefined, code: PkiErrorCode, what: string): Map<string, RawExtension>;
//# sourceMappingURL=x509-extensions.d.ts.map