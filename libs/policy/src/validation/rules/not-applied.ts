import type { IstioKindName } from '../../api-kinds.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';

/**
 * Fields of the current Istio API the schema accepts (Istio does) but the mesh's config generation does
 * not act on yet. Each is reported where it is set as a `NOT_APPLIED` warning, so a user who relies on
 * one learns it has no effect here instead of finding out from traffic. The names are unique within
 * their kind, so a walk over the spec finds every place they can appear (a DestinationRule's
 * `http2KeepAlive` under the top-level, port-level and subset traffic policies alike).
 */
const NOT_APPLIED: Partial<Record<IstioKindName, Readonly<Record<string, string>>>> = {
  VirtualService: { prefixRewrite: 'redirect.prefixRewrite is not applied: the redirect keeps the path' },
  DestinationRule: {
    http2KeepAlive: 'http2KeepAlive is not applied: no HTTP/2 PING is sent on upstream connections',
    attributes: 'httpCookie.attributes are not applied: the hash cookie is set without them',
  },
  Gateway: {
    caCertCredentialName:
      "caCertCredentialName is not applied: a MUTUAL server's client CA comes from its credentialName Secret",
  },
  Sidecar: {
    http2KeepAlive: 'http2KeepAlive is not applied: no HTTP/2 PING is sent on inbound connections',
    caCertCredentialName:
      "caCertCredentialName is not applied: the listener's client CA comes from caCertificates",
  },
  RequestAuthentication: {
    presence:
      'presence is not applied: a request without this JWT is not refused; require it with an AuthorizationPolicy on requestPrincipals',
  },
  Telemetry: { formatter: 'formatter custom tags are not applied: the tag is not added to spans' },
};

export function checkNotApplied(kind: IstioKindName, spec: unknown, c: FindingCollector): void {
  const fields = NOT_APPLIED[kind];
  if (fields !== undefined) walk(spec, 'spec', fields, c);
}

function walk(
  value: unknown,
  path: string,
  fields: Readonly<Record<string, string>>,
  c: FindingCollector,
): void {
  if (Array.isArray(value)) {
    value.forEach((entry, i) => walk(entry, item(path, i), fields, c));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const at = field(path, key);
    const message = fields[key];
    if (message !== undefined) c.warning('NOT_APPLIED', at, message);
    else walk(child, at, fields, c);
  }
}
