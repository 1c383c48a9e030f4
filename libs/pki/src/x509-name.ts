import forge from 'node-forge';

import { type Asn1, childrenOf, oid, readOid, sequence, set, utf8String } from './der.js';
import { OID } from './x509-extensions.js';

/**
 * X.501 distinguished names, only as far as a mesh needs them: CA subjects carry O (the trust
 * domain, as Istio's self-signed root does) and optionally CN; workload certificates have an empty
 * subject and put the identity in the SAN.
 */
export interface NameAttributes {
  organization?: string;
  commonName?: string;
}

export function buildName(attributes: NameAttributes = {}): Asn1 {
  const rdns: Asn1[] = [];
  if (attributes.organization !== undefined) {
    rdns.push(set([sequence([oid(OID.organizationName), utf8String(attributes.organization)])]));
  }
  if (attributes.commonName !== undefined) {
    rdns.push(set([sequence([oid(OID.commonName), utf8String(attributes.commonName)])]));
  }
  return sequence(rdns);
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** A readable one-line form such as `O=cluster.local, CN=Intermediate CA`; empty for no subject. */
export function formatName(name: Asn1 | undefined): string {
  const parts: string[] = [];
  for (const rdn of childrenOf(name) ?? []) {
    for (const attribute of childrenOf(rdn, forge.asn1.Type.SET) ?? []) {
      const [type, value] = childrenOf(attribute) ?? [];
      const dotted = readOid(type) ?? '?';
      const raw = value !== undefined && typeof value.value === 'string' ? value.value : '';
      const text = value?.type === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(raw) : raw;
      parts.push(`${SHORT_NAMES[dotted] ?? dotted}=${text}`);
    }
  }
  return parts.join(', ');
}

/** Whether a Name node is a SEQUENCE of SETs (the only shape X.501 allows). */
export function isName(name: Asn1 | undefined): boolean {
  const rdns = childrenOf(name);
  return rdns !== undefined && rdns.every((rdn) => childrenOf(rdn, forge.asn1.Type.SET) !== undefined);
}
