import type { ServiceDefinition } from '@grpc/grpc-js';
/**
 * Istio's certificate service, wire-compatible with istio/api `security/v1alpha1/ca.proto`
 * (package `istio.v1.auth`): `CreateCertificate(IstioCertificateRequest) → IstioCertificateResponse`.
 * Defined here in code (field numbers as Istio's: csr = 1, validity_duration = 3, metadata = 4;
 * cert_chain = 1) so istiod, the proxy agent and tools share one definition without a .proto file.
 */
export declare const CA_SERVICE_NAME = "istio.v1.auth.IstioCertificateService";
export interface IstioCertificateRequest {
    /** PEM-encoded PKCS#10 request. */
    csr: string;
    /** Requested validity in seconds (int64, carried as a string or number). */
    validity_duration?: string | number;
    /** google.protobuf.Struct in proto form (`{ fields: { k: { string_value } } }`). */
    metadata?: {
        fields?: Record<string, {
            string_value?: string;
        }>;
    };
}
export interface IstioCertificateResponse {
    /** Leaf first, then intermediates, root last; one PEM certificate per element. */
    cert_chain: string[];
}
/** The gRPC service definition, for `server.addService` and `makeGenericClientConstructor`. */
export declare const caServiceDefinition: ServiceDefinition;
//# sourceMappingURL=ca-protocol.d.ts.map