import Type, { type Static } from 'typebox';

import { enumOf, listOf, obj, opt, str, stringList, uint32 } from '../schema-helpers.js';

/** TLS versions accepted by `minProtocolVersion` / `maxProtocolVersion`. */
const TLS_PROTOCOL_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

export const SERVER_TLS_MODES = [
  'PASSTHROUGH',
  'SIMPLE',
  'MUTUAL',
  'AUTO_PASSTHROUGH',
  'ISTIO_MUTUAL',
  'OPTIONAL_MUTUAL',
] as const;

const TLSCertificate = obj({
  serverCertificate: opt(str('REQUIRED if mode is `SIMPLE` or `MUTUAL`.')),
  privateKey: opt(str('REQUIRED if mode is `SIMPLE` or `MUTUAL`.')),
  caCertificates: opt(str()),
});

/**
 * `ServerTLSSettings`: TLS termination on a Gateway server or a Sidecar ingress listener. Istio's CRD
 * lets only one certificate source be set; the semantic validator reports the combinations.
 */
export const ServerTLSSettings = obj(
  {
    httpsRedirect: opt(Type.Boolean()),
    mode: opt(enumOf([...SERVER_TLS_MODES])),
    serverCertificate: opt(str('REQUIRED if mode is `SIMPLE` or `MUTUAL`.')),
    privateKey: opt(str('REQUIRED if mode is `SIMPLE` or `MUTUAL`.')),
    caCertificates: opt(str('REQUIRED if mode is `MUTUAL` or `OPTIONAL_MUTUAL`.')),
    caCertCredentialName: opt(
      str('For mutual TLS, the name of the secret or the configmap that holds CA certificates.'),
    ),
    caCrl: opt(str()),
    credentialName: opt(
      str(
        'For gateways running on Kubernetes, the name of the secret that holds the TLS certs including the CA certificates.',
      ),
    ),
    credentialNames: opt(
      stringList('Same as CredentialName but for multiple certificates.', { minItems: 1, maxItems: 2 }),
    ),
    tlsCertificates: opt(listOf(TLSCertificate, undefined, { minItems: 1, maxItems: 2 })),
    subjectAltNames: opt(stringList()),
    verifyCertificateSpki: opt(stringList()),
    verifyCertificateHash: opt(stringList()),
    minProtocolVersion: opt(enumOf([...TLS_PROTOCOL_VERSIONS])),
    maxProtocolVersion: opt(enumOf([...TLS_PROTOCOL_VERSIONS])),
    cipherSuites: opt(stringList()),
  },
  {
    // Istio's CEL rules, verbatim (the third repeats the first under another message).
    validations: [
      {
        rule: '(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1',
        message: 'only one of credentialNames or tlsCertificates can be set',
      },
      {
        rule: '(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1',
        message: 'only one of credentialName or credentialNames can be set',
      },
      {
        rule: '(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1',
        message: 'only one of credentialName or tlsCertificates can be set',
      },
    ],
  },
);
export type ServerTLSSettings = Static<typeof ServerTLSSettings>;

/** `Port` of a Gateway server: number, protocol and name are required. */
export const GatewayPort = obj({
  number: uint32('A valid non-negative integer port number.'),
  protocol: str('The protocol exposed on the port.'),
  name: str('Label assigned to the port.'),
  targetPort: opt(uint32()),
});

/** `SidecarPort`: like a Gateway port, but every field is optional (a Unix socket listener has number 0). */
export const SidecarPort = obj({
  number: opt(uint32('A valid non-negative integer port number.')),
  protocol: opt(str('The protocol exposed on the port.')),
  name: opt(str('Label assigned to the port.')),
  targetPort: opt(uint32()),
});
export type SidecarPort = Static<typeof SidecarPort>;
