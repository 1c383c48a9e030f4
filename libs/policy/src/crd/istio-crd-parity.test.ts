import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { ISTIO_KINDS, type IstioKindName } from '../api-kinds.js';
import {
  fieldsMissingFrom,
  listedFields,
  requiredFields,
  schemaFields,
  validationMessages,
} from '../../test/support/crd-field-list.js';
import { buildCrd } from './istio-crds.js';

/**
 * Field-by-field parity of every kind's schema with Istio's CRDs (src/testdata/istio-api/crd-fields.yaml,
 * written from istio/api's customresourcedefinitions.gen.yaml). A field Istio has and we lack is a valid
 * resource we would refuse as unknown; a field we have and Istio lacks is one we would let through.
 */

type Node = Record<string, unknown>;

/**
 * Fields of the Istio API newer than the CRD snapshot in testdata (merged into istio/api after it), each
 * with the pull request that added it. Entries are `path type`, as `fieldsMissingFrom` prints them.
 */
const NEWER_THAN_SNAPSHOT: Partial<Record<IstioKindName, { since: string; fields: string[] }[]>> = {
  VirtualService: [
    {
      since: 'istio/api#3708 (HTTPRedirect.prefix_rewrite)',
      fields: ['spec.http[].redirect.prefixRewrite string'],
    },
  ],
  DestinationRule: [
    {
      since: 'istio/api#3706 (ConnectionPoolSettings.HTTPSettings.http2_keep_alive)',
      fields: [
        'spec.trafficPolicy',
        'spec.trafficPolicy.portLevelSettings[]',
        'spec.subsets[].trafficPolicy',
        'spec.subsets[].trafficPolicy.portLevelSettings[]',
      ].flatMap((policy) => [
        `${policy}.connectionPool.http.http2KeepAlive object`,
        `${policy}.connectionPool.http.http2KeepAlive.interval string`,
        `${policy}.connectionPool.http.http2KeepAlive.timeout string`,
      ]),
    },
  ],
  Sidecar: [
    {
      since: 'istio/api#3706 (the same HTTPSettings in Sidecar connection pools)',
      fields: ['spec.inboundConnectionPool', 'spec.ingress[].connectionPool'].flatMap((pool) => [
        `${pool}.http.http2KeepAlive object`,
        `${pool}.http.http2KeepAlive.interval string`,
        `${pool}.http.http2KeepAlive.timeout string`,
      ]),
    },
  ],
  EnvoyFilter: [
    {
      since: 'istio/api#3724 (Patch.Operation MERGE_AND_REPLACE_LIST)',
      fields: [
        'spec.configPatches[].patch.operation string enum=ADD|INSERT_AFTER|INSERT_BEFORE|INSERT_FIRST|INVALID|MERGE|MERGE_AND_REPLACE_LIST|REMOVE|REPLACE',
      ],
    },
  ],
  RequestAuthentication: [
    {
      since: 'istio/api#3737 (JWTRule.presence)',
      fields: ['spec.jwtRules[].presence string enum=OPTIONAL|REQUIRED'],
    },
  ],
  AuthorizationPolicy: [
    {
      since: 'istio/api#3665 (Source.trust_domains, not_trust_domains)',
      fields: [
        'spec.rules[].from[].source.notTrustDomains array',
        'spec.rules[].from[].source.notTrustDomains[] string',
        'spec.rules[].from[].source.trustDomains array',
        'spec.rules[].from[].source.trustDomains[] string',
      ],
    },
  ],
};

/** Where our enum extends the snapshot's, the snapshot's own line is the one we replace. */
const REPLACED_BY_NEWER: Partial<Record<IstioKindName, string[]>> = {
  EnvoyFilter: [
    'spec.configPatches[].patch.operation string enum=ADD|INSERT_AFTER|INSERT_BEFORE|INSERT_FIRST|INVALID|MERGE|REMOVE|REPLACE',
  ],
};

const listed = parse(
  readFileSync(new URL('../testdata/istio-api/crd-fields.yaml', import.meta.url), 'utf8'),
  { merge: true, maxAliasCount: -1 },
) as Node;

function ourSchema(kind: (typeof ISTIO_KINDS)[number]): Node {
  const crd = buildCrd(kind) as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}
const ourFields = (kind: (typeof ISTIO_KINDS)[number]) =>
  schemaFields((ourSchema(kind)['properties'] as Node)['spec'] as Node);
const istioRequired = listed['x-required'] as Record<string, string[]>;
const istioRules = listed['x-validation-messages'] as Record<string, string[]>;
const istioVersions = listed['x-versions'] as Record<string, { served: string[]; storage: string }>;

/** Istio's CEL rules our CRD states as a structural `oneOf` block instead (x-mesh-one-of). */
const AS_ONE_OF: Partial<Record<IstioKindName, string[]>> = {
  RequestAuthentication: ['only one of jwks or jwksUri can be set'],
};

describe("our CRD schemas against Istio's CRDs, field by field", () => {
  it('lists every kind we model', () => {
    expect(
      Object.keys(listed)
        .filter((k) => !k.startsWith('x-'))
        .sort(),
    ).toEqual(ISTIO_KINDS.map((k) => k.kind).sort());
  });

  for (const kind of ISTIO_KINDS) {
    it(`${kind.kind}: has every field of Istio's CRD with its type and enum values, and no other`, () => {
      const istio = listedFields(listed[kind.kind]);
      const ours = ourFields(kind);
      const newer = (NEWER_THAN_SNAPSHOT[kind.kind] ?? []).flatMap((entry) => entry.fields).sort();
      expect(fieldsMissingFrom(istio, ours), 'fields of Istio we lack or type differently').toEqual(
        [...(REPLACED_BY_NEWER[kind.kind] ?? [])].sort(),
      );
      expect(fieldsMissingFrom(ours, istio), 'fields we have that the snapshot lacks').toEqual(newer);
    });

    it(`${kind.kind}: serves Istio's versions and stores the one Istio stores, so a cluster upgraded from Istio works`, () => {
      const crd = buildCrd(kind) as {
        spec: { versions: { name: string; served: boolean; storage: boolean }[] };
      };
      const versions = crd.spec.versions;
      expect({
        served: versions
          .filter((v) => v.served)
          .map((v) => v.name)
          .sort(),
        storage: versions.filter((v) => v.storage).map((v) => v.name),
      }).toEqual({
        served: [...istioVersions[kind.kind]!.served].sort(),
        storage: [istioVersions[kind.kind]!.storage],
      });
    });

    it(`${kind.kind}: has the CEL rules of Istio's CRD, so that the API server refuses what Istio's does`, () => {
      const oneOf = AS_ONE_OF[kind.kind] ?? [];
      const spec = (ourSchema(kind)['properties'] as Node)['spec'] as Node;
      expect(validationMessages(spec)).toEqual(
        (istioRules[kind.kind] ?? []).filter((m) => !oneOf.includes(m)),
      );
    });

    it(`${kind.kind}: requires exactly the fields Istio's CRD requires`, () => {
      expect(requiredFields(ourSchema(kind))).toEqual([...(istioRequired[kind.kind] ?? [])].sort());
    });
  }
});
