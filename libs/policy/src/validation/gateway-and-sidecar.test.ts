import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const server = (extra: Record<string, unknown> = {}) => ({
  port: { number: 80, name: 'http', protocol: 'HTTP' },
  hosts: ['bookinfo.example.com'],
  ...extra,
});
const gateway = (...servers: unknown[]) => ({ selector: { istio: 'ingressgateway' }, servers });

const gateways: ValidationCase[] = [
  {
    name: 'the Bookinfo HTTP gateway is valid',
    kind: 'Gateway',
    spec: gateway(server({ hosts: ['*'] })),
    expect: [],
  },
  {
    name: 'an HTTPS server with a credential is valid',
    kind: 'Gateway',
    spec: gateway(
      server({
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        tls: { mode: 'SIMPLE', credentialName: 'bookinfo-cert' },
      }),
    ),
    expect: [],
  },
  {
    name: 'a gateway needs servers',
    kind: 'Gateway',
    spec: { selector: { istio: 'ingressgateway' } },
    expect: ['E SERVER_INVALID spec.servers'],
  },
  {
    name: 'a server needs a port (schema)',
    kind: 'Gateway',
    spec: gateway({ hosts: ['*'] }),
    expect: ['E SCHEMA_REQUIRED spec.servers[0].port'],
  },
  {
    name: 'a server port outside 1-65535 is invalid',
    kind: 'Gateway',
    spec: gateway(server({ port: { number: 0, name: 'http', protocol: 'HTTP' } })),
    expect: ['E PORT_INVALID spec.servers[0].port.number'],
  },
  {
    name: 'an unknown server protocol is invalid',
    kind: 'Gateway',
    spec: gateway(server({ port: { number: 80, name: 'http', protocol: 'SPDY' } })),
    expect: ['E PORT_INVALID spec.servers[0].port.protocol'],
  },
  {
    name: 'server port names must be unique',
    kind: 'Gateway',
    spec: gateway(server(), server({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })),
    expect: ['E SERVER_INVALID spec.servers[1].port.name'],
  },
  {
    name: 'an HTTPS server needs TLS settings',
    kind: 'Gateway',
    spec: gateway(server({ port: { number: 443, name: 'https', protocol: 'HTTPS' } })),
    expect: ['E SERVER_INVALID spec.servers[0]'],
  },
  {
    name: 'an HTTP server may carry httpsRedirect',
    kind: 'Gateway',
    spec: gateway(server({ tls: { httpsRedirect: true } })),
    expect: [],
  },
  {
    name: 'a TCP server cannot have TLS settings',
    kind: 'Gateway',
    spec: gateway(
      server({
        port: { number: 31400, name: 'tcp', protocol: 'TCP' },
        tls: { mode: 'SIMPLE', credentialName: 'c' },
      }),
    ),
    expect: ['E SERVER_INVALID spec.servers[0].tls'],
  },
  {
    name: 'SIMPLE TLS without a credential needs a certificate and key',
    kind: 'Gateway',
    spec: gateway(
      server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE' } }),
    ),
    expect: [
      'E TLS_INVALID spec.servers[0].tls.privateKey',
      'E TLS_INVALID spec.servers[0].tls.serverCertificate',
    ],
  },
  {
    name: 'MUTUAL TLS needs a client CA bundle',
    kind: 'Gateway',
    spec: gateway(
      server({
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        tls: { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' },
      }),
    ),
    expect: ['E TLS_INVALID spec.servers[0].tls.caCertificates'],
  },
  {
    name: 'ISTIO_MUTUAL cannot name a credential',
    kind: 'Gateway',
    spec: gateway(
      server({
        port: { number: 15443, name: 'tls', protocol: 'TLS' },
        tls: { mode: 'ISTIO_MUTUAL', credentialName: 'c' },
      }),
    ),
    expect: ['E TLS_INVALID spec.servers[0].tls.credentialName'],
  },
  {
    name: 'PASSTHROUGH ignores certificates (warning)',
    kind: 'Gateway',
    spec: gateway(
      server({
        port: { number: 443, name: 'tls', protocol: 'TLS' },
        tls: { mode: 'PASSTHROUGH', credentialName: 'c' },
      }),
    ),
    expect: ['W TLS_INVALID spec.servers[0].tls'],
  },
  {
    name: 'an unknown cipher suite is ignored with a warning',
    kind: 'Gateway',
    spec: gateway(
      server({
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        tls: { mode: 'SIMPLE', credentialName: 'c', cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256', 'NOPE'] },
      }),
    ),
    expect: ['W TLS_INVALID spec.servers[0].tls.cipherSuites'],
  },
  {
    name: 'server hosts may be namespace-scoped',
    kind: 'Gateway',
    spec: gateway(server({ hosts: ['bookinfo/*.example.com', './reviews.example.com'] })),
    expect: [],
  },
  {
    name: 'a partial wildcard server host is invalid',
    kind: 'Gateway',
    spec: gateway(server({ hosts: ['*bookinfo.com'] })),
    expect: ['E HOST_INVALID spec.servers[0].hosts[0]'],
  },
  {
    name: 'a bind address must be an IP',
    kind: 'Gateway',
    spec: gateway(server({ bind: 'localhost' })),
    expect: ['E ADDRESS_INVALID spec.servers[0].bind'],
  },
  {
    name: 'a Gateway name must be a DNS label',
    kind: 'Gateway',
    object: { metadata: { name: 'bookinfo.gateway', namespace: 'default' } },
    spec: gateway(server()),
    expect: ['E METADATA_INVALID metadata.name'],
  },
];

const sidecars: ValidationCase[] = [
  {
    name: 'a namespace-wide egress scope is valid',
    kind: 'Sidecar',
    spec: {
      egress: [{ hosts: ['./*', 'istio-system/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    },
    expect: [],
  },
  { name: 'an empty Sidecar is invalid', kind: 'Sidecar', spec: {}, expect: ['E SIDECAR_INVALID spec'] },
  {
    name: 'egress hosts need namespace/dnsName',
    kind: 'Sidecar',
    spec: { egress: [{ hosts: ['reviews.default.svc.cluster.local'] }] },
    expect: ['E HOST_INVALID spec.egress[0].hosts[0]'],
    messages: ['host must be of form namespace/dnsName'],
  },
  {
    name: 'egress hosts cannot be short names',
    kind: 'Sidecar',
    spec: { egress: [{ hosts: ['default/reviews'] }] },
    expect: ['E HOST_INVALID spec.egress[0].hosts[0]'],
  },
  {
    name: 'an egress host namespace must be a namespace name',
    kind: 'Sidecar',
    spec: { egress: [{ hosts: ['Default_NS/*.example.com'] }] },
    expect: ['E HOST_INVALID spec.egress[0].hosts[0]'],
  },
  {
    // Istio 1.29 Sidecar egress hosts: `~ns1/*` imports all but ns1 (pkg/config/validation ValidateSidecar).
    name: 'an excluded namespace (~ns1/*) is valid',
    kind: 'Sidecar',
    spec: { egress: [{ hosts: ['*/*', '~ns1/*'] }] },
    expect: [],
  },
  {
    name: 'an excluded namespace must be a namespace name',
    kind: 'Sidecar',
    spec: { egress: [{ hosts: ['*/*', '~Bad_NS/*'] }] },
    expect: ['E HOST_INVALID spec.egress[0].hosts[1]'],
  },
  {
    name: 'duplicated egress hosts are a warning',
    kind: 'Sidecar',
    spec: { egress: [{ hosts: ['default/*', 'default/reviews.default.svc.cluster.local'] }] },
    expect: ['W HOST_INVALID spec.egress[0].hosts[1]'],
  },
  {
    name: 'the catch-all egress listener must be last',
    kind: 'Sidecar',
    spec: {
      egress: [
        { hosts: ['*/*'] },
        { port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['default/*'] },
      ],
    },
    expect: ['E SIDECAR_INVALID spec.egress[0]'],
  },
  {
    name: 'egress listener ports must be unique',
    kind: 'Sidecar',
    spec: {
      egress: [
        { port: { number: 9080, protocol: 'HTTP', name: 'http' }, hosts: ['default/*'] },
        { port: { number: 9080, protocol: 'HTTP', name: 'http2' }, hosts: ['other/*'] },
      ],
    },
    expect: ['E SIDECAR_INVALID spec.egress[1].port.number'],
  },
  {
    name: 'an ingress listener needs a port (schema)',
    kind: 'Sidecar',
    spec: { ingress: [{ defaultEndpoint: '127.0.0.1:8080' }] },
    expect: ['E SCHEMA_REQUIRED spec.ingress[0].port'],
  },
  {
    name: 'an ingress defaultEndpoint must be loopback or any address',
    kind: 'Sidecar',
    spec: {
      ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '10.1.1.1:8080' }],
    },
    expect: ['E ADDRESS_INVALID spec.ingress[0].defaultEndpoint'],
  },
  {
    name: 'ingress TLS requires a TLS protocol',
    kind: 'Sidecar',
    spec: {
      ingress: [
        {
          port: { number: 9080, protocol: 'HTTP', name: 'http' },
          defaultEndpoint: '127.0.0.1:8080',
          tls: { mode: 'SIMPLE', serverCertificate: '/c.pem', privateKey: '/k.pem' },
        },
      ],
    },
    expect: ['E TLS_INVALID spec.ingress[0].tls'],
  },
  {
    name: 'an egress proxy needs ALLOW_ANY',
    kind: 'Sidecar',
    spec: {
      outboundTrafficPolicy: {
        mode: 'REGISTRY_ONLY',
        egressProxy: { host: 'egress.example.com', port: { number: 443 } },
      },
    },
    expect: ['E SIDECAR_INVALID spec.outboundTrafficPolicy.egressProxy'],
  },
  {
    name: 'a selector without labels applies to the whole namespace (warning)',
    kind: 'Sidecar',
    spec: { workloadSelector: { labels: {} }, egress: [{ hosts: ['./*'] }] },
    expect: ['W LABEL_INVALID spec.workloadSelector.labels'],
  },
];

describe('Gateway validation', () => runCases(gateways));
describe('Sidecar validation', () => runCases(sidecars));
