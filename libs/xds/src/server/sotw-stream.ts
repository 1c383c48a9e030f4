import type { DiscoveryRequest, DiscoveryResponse } from '../protocol/discovery-messages.js';
import { encodeSotwResponse } from '../protocol/response-encoding.js';
import { resourceTypeFor } from '../resources/registry.js';
import { shortNameOf } from '../type-urls.js';
import { AdsStream } from './ads-stream.js';
import { versionOfSet, type PreparedResource } from './resource-source.js';
import type { TypeSubscription } from './type-subscription.js';

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

/**
 * State-of-the-world ADS (`StreamAggregatedResources`). For LDS/CDS every response is the full set and
 * omission means removal; for RDS/EDS/SDS a response carries the requested (or changed) resources.
 * A request whose nonce is not the latest sent for its type is stale and ignored, as the xDS spec says:
 * the client will ACK the newer response with its current subscription anyway.
 */
export class SotwStream extends AdsStream<DiscoveryRequest, DiscoveryResponse> {
  protected onRequest(request: DiscoveryRequest): void {
    if (!this.learnNode(request.node)) return;
    const typeUrl = request.type_url ?? '';
    if (!typeUrl) throw new Error('request has no type_url');
    const requested = new Set(request.resource_names ?? []);
    const wildcard = requested.has('*') || (requested.size === 0 && this.legacyWildcard(typeUrl));
    requested.delete('*');
    const nonce = request.response_nonce ?? '';
    const { sub } = this.subscription(typeUrl);

    if (nonce === '') {
      // A new subscription, or a client (re)starting: answer whatever it has.
      sub.wildcard = wildcard;
      sub.names.clear();
      for (const name of requested) sub.names.add(name);
      this.enqueue(typeUrl, undefined, true);
      return;
    }
    if (nonce !== sub.sentNonce) {
      this.ctx.logger.debug(
        { conn: this.connection.id, type: shortNameOf(typeUrl), nonce },
        'ignoring stale xDS request',
      );
      return;
    }
    const version = request.version_info ?? '';
    if (request.error_detail && (request.error_detail.code || request.error_detail.message)) {
      this.recordNack(
        sub,
        version,
        nonce,
        request.error_detail.message ?? `code ${request.error_detail.code}`,
      );
    } else {
      this.recordAck(sub, version, nonce);
    }
    if (wildcard === sub.wildcard && sameNames(requested, sub.names)) return;
    const added =
      wildcard && !sub.wildcard ? undefined : new Set([...requested].filter((n) => !sub.names.has(n)));
    sub.wildcard = wildcard;
    sub.names.clear();
    for (const name of requested) sub.names.add(name);
    if (added === undefined || added.size > 0) this.enqueue(typeUrl, added, true);
  }

  protected async respond(
    sub: TypeSubscription,
    names: Set<string> | undefined,
    fromRequest: boolean,
  ): Promise<void> {
    const fullState = resourceTypeFor(sub.typeUrl)?.sotwFullState ?? true;
    if (!sub.wildcard && sub.names.size === 0 && !fromRequest) return;
    const started = performance.now();
    const only = fullState ? undefined : names;
    const all = await this.ctx.source.resources({
      connection: this.connection,
      typeUrl: sub.typeUrl,
      wildcard: sub.wildcard,
      names: sub.names,
      only,
    });
    // When the answer is everything the source returned, send the source's own array: its version and
    // encoded body are computed once and shared by every stream that sends the same set.
    const inScope = [...all].filter((r) => sub.inScope(r.name) && (!only || only.has(r.name)));
    const resources =
      Array.isArray(all) && inScope.length === all.length ? (all as PreparedResource[]) : inScope;
    const version = versionOfSet(resources);
    // Nothing new for this client: an empty partial answer, or the same complete set it was last sent.
    if (
      !fromRequest &&
      ((!fullState && resources.length === 0) || (only === undefined && version === sub.sentVersion))
    )
      return;
    const nonce = this.nextNonce();
    const response = encodeSotwResponse({ versionInfo: version, resources, typeUrl: sub.typeUrl, nonce });
    sub.sentVersion = version;
    sub.sentNonce = nonce;
    const bytes = response.bytes.length;
    const durationMs = performance.now() - started;
    await this.write(response);
    this.ctx.hooks.onPush?.(this.connection, {
      typeUrl: sub.typeUrl,
      version,
      nonce,
      resources: resources.length,
      removed: 0,
      bytes,
      durationMs,
    });
  }
}
