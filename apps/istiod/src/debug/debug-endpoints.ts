import { configKey, formatFinding, formatStale, type ConfigStore } from '@mesh/policy';
import type { MeshSnapshot } from '@mesh/registry';
import { resourceTypeFor, shortNameOf, type AdsServer, type ResourceSource } from '@mesh/xds';

import type { MeshConfigStatus } from '../config/mesh-config-source.js';

export interface DebugDeps {
  ads: AdsServer;
  config: ConfigStore;
  meshConfig: () => MeshConfigStatus;
  snapshot: () => MeshSnapshot;
  source: ResourceSource;
}

export interface DebugResponse {
  status: number;
  body: unknown;
}

/**
 * istiod's debug endpoints on the monitoring port, as JSON: `/debug/syncz` (per proxy and type: sent,
 * ACKed and NACKed versions), `/debug/config_dump?proxyID=` (what that proxy is served), `/debug/registryz`
 * (services and endpoints), `/debug/configz` (config objects, the invalid ones skipped, the last good
 * versions kept in force because their new version is invalid, and the MeshConfig under `meshConfig`).
 */
export async function handleDebug(
  deps: DebugDeps,
  path: string,
  query: URLSearchParams,
): Promise<DebugResponse | undefined> {
  switch (path) {
    case '/debug/syncz':
      return { status: 200, body: syncz(deps) };
    case '/debug/registryz':
      return { status: 200, body: registryz(deps.snapshot()) };
    case '/debug/configz':
      return { status: 200, body: { ...configz(deps.config), meshConfig: meshConfigz(deps.meshConfig()) } };
    case '/debug/config_dump':
      return configDump(deps, query.get('proxyID') ?? '');
    default:
      return undefined;
  }
}

function syncz(deps: DebugDeps) {
  return deps.ads.status().map((s) => ({
    proxy: s.connection.node.id,
    connectionId: s.connection.id,
    protocol: s.connection.mode,
    peer: s.connection.peer,
    connectedAt: s.connection.connectedAt,
    pendingPushes: s.pendingPushes,
    types: Object.fromEntries(
      s.types.map((t) => [
        shortNameOf(t.typeUrl),
        {
          subscribed: t.wildcard ? ['*', ...t.names] : t.names,
          sent: t.sentVersion ? { version: t.sentVersion, nonce: t.sentNonce } : undefined,
          acked: t.ackedVersion,
          nack: t.nack,
          status: t.nack
            ? 'ERROR'
            : t.sentNonce === undefined
              ? 'NOT SENT'
              : t.ackedVersion === t.sentVersion
                ? 'SYNCED'
                : 'STALE',
        },
      ]),
    ),
  }));
}

function registryz(snapshot: MeshSnapshot) {
  return snapshot.services.map((service) => ({
    ...service,
    endpoints: Object.fromEntries(
      service.ports.map((port) => [port.port, snapshot.endpoints(service, port)]),
    ),
  }));
}

/**
 * Config objects in force, the invalid ones skipped, and the objects whose invalid new version left
 * their last good version in force (`lastGoodKept`, also marked on the resource).
 */
function configz(config: ConfigStore) {
  const status = config.status();
  const stale = new Map(status.stale.map((s) => [configKey(s.kind, s.namespace, s.name), s]));
  return {
    synced: status.synced,
    resources: config.list().map((c) => ({
      kind: c.kind,
      namespace: c.namespace,
      name: c.name,
      resourceVersion: c.resourceVersion,
      source: c.source,
      ...(stale.has(configKey(c.kind, c.namespace, c.name)) ? { lastGoodKept: true } : {}),
    })),
    invalid: status.invalid,
    lastGoodKept: status.stale.map((s) => ({ ...s, message: formatStale(s) })),
  };
}

/**
 * The MeshConfig in force (Istio's defaults applied) and where it came from; when the source's current
 * version is invalid, its errors and `lastGoodKept`.
 */
function meshConfigz(status: MeshConfigStatus) {
  return {
    source: status.source,
    inForce: status.inForce,
    lastGoodKept: status.invalid.length > 0,
    invalid: status.invalid.map((finding) => ({ ...finding, message: formatFinding(finding) })),
    warnings: status.warnings.map(formatFinding),
  };
}

/** The resources a connected proxy is served right now, decoded, by type (Envoy's config_dump shape, roughly). */
async function configDump(deps: DebugDeps, proxyId: string): Promise<DebugResponse> {
  const stream = deps.ads.status().find((s) => s.connection.node.id === proxyId);
  if (!stream) return { status: 404, body: { error: `no connected proxy with id "${proxyId}"` } };
  const configs: Record<string, unknown[]> = {};
  for (const sub of stream.types) {
    const type = resourceTypeFor(sub.typeUrl);
    const resources = await deps.source.resources({
      connection: stream.connection,
      typeUrl: sub.typeUrl,
      wildcard: sub.wildcard,
      names: new Set(sub.names),
    });
    configs[shortNameOf(sub.typeUrl)] = [...resources].map((r) => ({
      name: r.name,
      version: r.version,
      resource: type ? redactPrivateKeys(type.decode(r.any.value)) : undefined,
    }));
  }
  return { status: 200, body: { proxy: proxyId, configs } };
}

/** Secrets in a dump keep their certificates but never their private keys (as istioctl's dumps). */
function redactPrivateKeys(resource: object): object {
  const certificate = (resource as { tls_certificate?: Record<string, unknown> }).tls_certificate;
  if (!certificate?.['private_key']) return resource;
  return { ...resource, tls_certificate: { ...certificate, private_key: { inline_string: '[redacted]' } } };
}
