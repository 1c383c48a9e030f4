import protobuf from 'protobufjs';
/**
 * Istio's certificate service, wire-compatible with istio/api `security/v1alpha1/ca.proto`
 * (package `istio.v1.auth`): `CreateCertificate(IstioCertificateRequest) → IstioCertificateResponse`.
 * Defined here in code (field numbers as Istio's: csr = 1, validity_duration = 3, metadata = 4;
 * cert_chain = 1) so istiod, the proxy agent and tools share one definition without a .proto file.
 */
export const CA_SERVICE_NAME = 'istio.v1.auth.IstioCertificateService';
const descriptor = {
    nested: {
        google: {
            nested: {
                protobuf: {
                    nested: {
                        Struct: { fields: { fields: { keyType: 'string', type: 'Value', id: 1 } } },
                        Value: {
                            oneofs: {
                                kind: {
                                    oneof: [
                                        'null_value',
                                        'number_value',
                                        'string_value',
                                        'bool_value',
                                        'struct_value',
                                        'list_value',
                                    ],
                                },
                            },
                            fields: {
                                null_value: { type: 'NullValue', id: 1 },
                                number_value: { type: 'double', id: 2 },
                                string_value: { type: 'string', id: 3 },
                                bool_value: { type: 'bool', id: 4 },
                                struct_value: { type: 'Struct', id: 5 },
                                list_value: { type: 'ListValue', id: 6 },
                            },
                        },
                        NullValue: { values: { NULL_VALUE: 0 } },
                        ListValue: { fields: { values: { rule: 'repeated', type: 'Value', id: 1 } } },
                    },
                },
            },
        },
        istio: {
            nested: {
                v1: {
                    nested: {
                        auth: {
                            nested: {
                                IstioCertificateRequest: {
                                    fields: {
                                        csr: { type: 'string', id: 1 },
                                        validity_duration: { type: 'int64', id: 3 },
                                        metadata: { type: 'google.protobuf.Struct', id: 4 },
                                    },
                                },
                                IstioCertificateResponse: {
                                    fields: { cert_chain: { rule: 'repeated', type: 'string', id: 1 } },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
};
// The typings of protobufjs's JSON descriptors do not model map fields (`keyType`).
const root = protobuf.Root.fromJSON(descriptor);
const RequestType = root.lookupType('istio.v1.auth.IstioCertificateRequest');
const ResponseType = root.lookupType('istio.v1.auth.IstioCertificateResponse');
function codec(type) {
    return {
        serialize: (message) => Buffer.from(type.encode(type.fromObject(message)).finish()),
        deserialize: (bytes) => type.toObject(type.decode(bytes), { longs: String, defaults: true, arrays: true }),
    };
}
const request = codec(RequestType);
const response = codec(ResponseType);
/** The gRPC service definition, for `server.addService` and `makeGenericClientConstructor`. */
export const caServiceDefinition = {
    CreateCertificate: {
        path: `/${CA_SERVICE_NAME}/CreateCertificate`,
        requestStream: false,
        responseStream: false,
        requestSerialize: request.serialize,
        requestDeserialize: request.deserialize,
        responseSerialize: response.serialize,
        responseDeserialize: response.deserialize,
        originalName: 'CreateCertificate',
    },
};
//# sourceMappingURL=ca-protocol.js.map