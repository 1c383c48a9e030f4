import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const allowAll = { rules: [{}] };
const metadata = (extra: Record<string, unknown>) => ({
  metadata: { name: 'test', namespace: 'default', ...extra },
});

/**
 * Names: Kubernetes validates a custom resource's name as a DNS-1123 subdomain (`IsDNS1123Subdomain`:
 * at most 253 characters, no limit per dot-separated part); only a Gateway's name must also be a DNS
 * label (Istio: pkg/config/validation/validation.go `ValidateGateway`).
 */
const names: ValidationCase[] = [
  {
    name: 'a 64-character name is valid (a subdomain allows 253)',
    kind: 'AuthorizationPolicy',
    spec: allowAll,
    object: { metadata: { name: 'a'.repeat(64), namespace: 'default' } },
    expect: [],
  },
  {
    name: 'a 253-character name with dots is valid',
    kind: 'VirtualService',
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' } }] }] },
    object: { metadata: { name: `${'a'.repeat(120)}.${'b'.repeat(132)}`, namespace: 'default' } },
    expect: [],
  },
  {
    name: 'a 254-character name is invalid',
    kind: 'AuthorizationPolicy',
    spec: allowAll,
    object: { metadata: { name: 'a'.repeat(254), namespace: 'default' } },
    expect: ['E METADATA_INVALID metadata.name'],
  },
  {
    name: 'a Gateway name above 63 characters is invalid (Gateway names are DNS labels)',
    kind: 'Gateway',
    spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
    object: { metadata: { name: 'g'.repeat(64), namespace: 'default' } },
    expect: ['E METADATA_INVALID metadata.name'],
  },
];

/** Istio: pkg/config/validation/validation.go `validateMetadata` and `checkDryRunAnnotation`. */
const annotations: ValidationCase[] = [
  {
    name: 'dry-run on an ALLOW policy is valid',
    kind: 'AuthorizationPolicy',
    spec: allowAll,
    object: metadata({ annotations: { 'istio.io/dry-run': 'true' } }),
    expect: [],
  },
  {
    name: 'dry-run accepts what Go reads as a boolean (T, 0, False)',
    kind: 'AuthorizationPolicy',
    spec: { action: 'DENY', rules: [{}] },
    object: metadata({ annotations: { 'istio.io/dry-run': 'False' } }),
    expect: [],
  },
  {
    name: 'dry-run with a value that is not a boolean is invalid',
    kind: 'AuthorizationPolicy',
    spec: allowAll,
    object: metadata({ annotations: { 'istio.io/dry-run': 'yes' } }),
    expect: ['E ANNOTATION_INVALID metadata.annotations["istio.io/dry-run"]'],
  },
  {
    name: 'dry-run on a CUSTOM policy is invalid',
    kind: 'AuthorizationPolicy',
    spec: { action: 'CUSTOM', provider: { name: 'ext' }, rules: [{}] },
    object: metadata({ annotations: { 'istio.io/dry-run': 'true' } }),
    expect: ['E ANNOTATION_INVALID metadata.annotations["istio.io/dry-run"]'],
    messages: ['only supports action ALLOW/DENY, found action CUSTOM'],
  },
  {
    name: 'dry-run on a kind other than AuthorizationPolicy is invalid',
    kind: 'PeerAuthentication',
    spec: { mtls: { mode: 'STRICT' } },
    object: metadata({ annotations: { 'istio.io/dry-run': 'true' } }),
    expect: ['E ANNOTATION_INVALID metadata.annotations["istio.io/dry-run"]'],
  },
  {
    name: 'the webhook test annotation is always refused',
    kind: 'PeerAuthentication',
    spec: {},
    object: metadata({ annotations: { 'internal.istio.io/webhook-always-reject': '' } }),
    expect: ['E ANNOTATION_INVALID metadata.annotations["internal.istio.io/webhook-always-reject"]'],
  },
  {
    name: 'internal parent annotations may not be set by users (privilege escalation)',
    kind: 'VirtualService',
    spec: { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' } }] }] },
    object: metadata({
      annotations: {
        'internal.istio.io/parents': 'HTTPRoute/x.other',
        'internal.istio.io/parent-namespace': 'istio-system',
      },
    }),
    expect: [
      'E ANNOTATION_INVALID metadata.annotations["internal.istio.io/parents"]',
      'E ANNOTATION_INVALID metadata.annotations["internal.istio.io/parent-namespace"]',
    ],
  },
];

describe('metadata', () => {
  describe('names', () => runCases(names));
  describe('annotations', () => runCases(annotations));
});
