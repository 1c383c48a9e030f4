import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../protocol/discovery-messages.js';
import { encodeDeltaResponse } from '../protocol/response-encoding.js';
import { AdsStream } from './ads-stream.js';
import { versionOfSet, type PreparedResource } from './resource-source.js';
import type { TypeSubscription } from './type-subscription.js';

/** Marks a resource whose version the client holds is unknown (it NACKed what we sent), forcing a resend. */
const UNKNOWN_VERSION = '';

/** Responses a stream remembers while waiting for their ACK or NACK. */
const MAX_UNANSWERED_RESPONSES = 64;

/**
 * Incremental ADS (`DeltaAggregatedResources`). The stream tracks the version of every resource the
 * client holds and sends only what differs, plus `removed_resources` for what disappeared (or, for a
 * named subscription, does not exist). Subscription changes are deltas and are applied whatever the
 * nonce; ACK/NACK are matched to the response by nonce, and unknown nonces are ignored.
 */
export class DeltaStream extends AdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  private readonly sentVersions = new Map<string, string>();

  protected onRequest(request: DeltaDiscoveryRequest): void {
    if (!this.learnNode(request.node)) return;
    const typeUrl = request.type_url ?? '';
    if (!typeUrl) throw new Error('request has no type_url');
    const { sub, created } = this.subscription(typeUrl);
    const nonce = request.response_nonce ?? '';
    if (nonce !== '') this.acknowledge(sub, nonce, request);

    const subscribe = request.resource_names_subscribe ?? [];
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    let becameWildcard = created && subscribe.length === 0 && this.legacyWildcard(typeUrl);
    const added = new Set<string>();
    for (const name of subscribe) {
      if (name === '*') becameWildcard ||= !sub.wildcard;
      else if (!sub.names.has(name)) added.add(name);
    }
    for (const name of added) sub.names.add(name);
    if (becameWildcard) sub.wildcard = true;
    for (const name of unsubscribe) {
      if (name === '*') sub.wildcard = false;
      else {
        sub.names.delete(name);
        if (!sub.inScope(name)) sub.clientVersions.delete(name);
      }
    }
    if (created) {
      for (const [name, version] of Object.entries(request.initial_resource_versions ?? {}))
        sub.clientVersions.set(name, version);
      this.enqueue(typeUrl, undefined, true);
    } else if (becameWildcard) {
      this.enqueue(typeUrl, undefined, true);
    } else if (added.size > 0) {
      this.enqueue(typeUrl, added, true);
    }
  }

  private acknowledge(sub: TypeSubscription, nonce: string, request: DeltaDiscoveryRequest): void {
    const names = sub.inFlight.get(nonce);
    if (names === undefined) {
      this.ctx.logger.debug({ conn: this.connection.id, nonce }, 'ignoring ACK/NACK for an unknown nonce');
      return;
    }
    sub.inFlight.delete(nonce);
    const version = this.sentVersions.get(nonce) ?? '';
    this.sentVersions.delete(nonce);
    if (request.error_detail && (request.error_detail.code || request.error_detail.message)) {
      for (const name of names)
        if (sub.clientVersions.has(name)) sub.clientVersions.set(name, UNKNOWN_VERSION);
      this.recordNack(
        sub,
        version,
        nonce,
        request.error_detail.message ?? `code ${request.error_detail.code}`,
      );
    } else {
      this.recordAck(sub, version, nonce);
    }
  }

  protected async respond(
    sub: TypeSubscription,
    names: Set<string> | undefined,
    fromRequest: boolean,
  ): Promise<void> {
    const started = performance.now();
    const all = await this.ctx.source.resources({
      connection: this.connection,
      typeUrl: sub.typeUrl,
      wildcard: sub.wildcard,
      names: sub.names,
      only: names,
    });
    // One pass over what the source returned (this runs for every client on every push, so it avoids
    // building sets unless a removal is possible).
    const changed: PreparedResource[] = [];
    let returned = 0;
    let heldAndReturned = 0;
    for (const resource of all) {
      if (!(sub.wildcard || sub.names.has(resource.name)) || (names && !names.has(resource.name))) continue;
      returned++;
      const held = sub.clientVersions.get(resource.name);
      if (held !== undefined) heldAndReturned++;
      if (held !== resource.version) changed.push(resource);
    }
    const removed = this.removedNames(sub, all, names, fromRequest, returned, heldAndReturned);
    // When a client gets everything the source returned (a full push), send the source's own array,
    // whose encoding every stream in the same position shares.
    const resources =
      Array.isArray(all) && changed.length === all.length ? (all as PreparedResource[]) : changed;
    const first = sub.sentNonce === undefined;
    if (changed.length === 0 && removed.length === 0 && !(fromRequest && first)) return;

    for (const r of changed) sub.clientVersions.set(r.name, r.version);
    for (const name of removed) sub.clientVersions.delete(name);
    const nonce = this.nextNonce();
    const version = versionOfSet(resources);
    sub.sentNonce = nonce;
    sub.sentVersion = version;
    sub.inFlight.set(
      nonce,
      changed.map((r) => r.name),
    );
    // A client that never answers must not grow this without bound; its oldest unanswered responses
    // are forgotten (an ACK for them is then treated as stale).
    for (const oldest of sub.inFlight.keys()) {
      if (sub.inFlight.size <= MAX_UNANSWERED_RESPONSES) break;
      sub.inFlight.delete(oldest);
      this.sentVersions.delete(oldest);
    }
    this.sentVersions.set(nonce, version);
    const response = encodeDeltaResponse({
      systemVersionInfo: version,
      resources,
      typeUrl: sub.typeUrl,
      removed,
      nonce,
    });
    const bytes = response.bytes.length;
    const durationMs = performance.now() - started;
    await this.write(response);
    this.ctx.hooks.onPush?.(this.connection, {
      typeUrl: sub.typeUrl,
      version,
      nonce,
      resources: changed.length,
      removed: removed.length,
      bytes,
      durationMs,
    });
  }

  /**
   * Names the client must be told are gone: held but no longer returned, or (answering a request)
   * subscribed but not existing. Counting first proves most pushes have none without a set.
   */
  private removedNames(
    sub: TypeSubscription,
    all: Iterable<PreparedResource>,
    names: Set<string> | undefined,
    fromRequest: boolean,
    returned: number,
    heldAndReturned: number,
  ): string[] {
    if (names ? returned === names.size : heldAndReturned === sub.clientVersions.size && !fromRequest)
      return [];
    const present = new Set<string>();
    for (const resource of all) present.add(resource.name);
    const candidates = names ?? new Set([...sub.clientVersions.keys(), ...(fromRequest ? sub.names : [])]);
    const removed: string[] = [];
    for (const name of candidates) {
      if (present.has(name) && sub.inScope(name)) continue;
      if (sub.clientVersions.has(name) || (fromRequest && sub.names.has(name))) removed.push(name);
    }
    return removed;
  }
}
