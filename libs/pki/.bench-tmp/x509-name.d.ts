import { type Asn1 } from './der.js';
/**
 * X.501 distinguished names, only as far as a mesh needs them: CA subjects carry O (the trust
 * domain, as Istio's self-signed root does) and optionally CN; workload certificates have an empty
 * subject and put the identity in the SAN.
 */
export interface NameAttributes {
    organization?: string;
    commonName?: string;
}
export declare function buildName(attributes?: NameAttributes): Asn1;
/** A readable one-line form such as `O=cluster.local, CN=Intermediate CA`; empty for no subject. */
export declare function formatName(name: Asn1 | undefined): string;
/** Whether a Name node is a SEQUENCE of SETs (the only shape X.501 allows). */
export declare function isName(name: Asn1 | undefined): boolean;
//# sourceMappingURL=x509-name.d.ts.map