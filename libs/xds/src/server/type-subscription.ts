import type { TypeStatus } from './server-hooks.js';

/** What one stream knows about one resource type: the subscription and the ACK/NACK history. */
export class TypeSubscription {
  wildcard = false;
  readonly names = new Set<string>();
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  nack?: TypeStatus['nack'];
  /** Delta only: the version of each resource the client has (or is being sent). */
  readonly clientVersions = new Map<string, string>();
  /** Delta only: responses not yet ACKed or NACKed, by nonce, with the names they carried. */
  readonly inFlight = new Map<string, string[]>();

  constructor(readonly typeUrl: string) {}

  /** Whether a change to these names (undefined = any name) concerns this subscription. */
  concerns(names: ReadonlySet<string> | undefined): boolean {
    if (this.wildcard || names === undefined) return true;
    for (const name of names) if (this.names.has(name)) return true;
    return false;
  }

  inScope(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  status(): TypeStatus {
    return {
      typeUrl: this.typeUrl,
      wildcard: this.wildcard,
      names: [...this.names].sort(),
      sentVersion: this.sentVersion,
      sentNonce: this.sentNonce,
      ackedVersion: this.ackedVersion,
      nack: this.nack,
    };
  }
}
