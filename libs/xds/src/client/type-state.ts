/** A resource the client accepted, with the version it came with. */
export interface HeldResource<T extends object = object> {
  resource: T;
  version: string;
}

export interface NackRecord {
  nonce: string;
  /** The version the client was offered and refused. */
  version: string;
  message: string;
  at: Date;
}

/** What the client holds and has said for one type, kept across reconnections. */
export class ClientTypeState {
  wildcard = false;
  readonly names = new Set<string>();
  readonly resources = new Map<string, HeldResource>();
  /** SotW version_info of the last accepted response (or delta system_version_info). */
  ackedVersion = '';
  /** Nonce of the last response received on the current stream (SotW requests echo it). */
  lastNonce = '';
  lastNack?: NackRecord;

  constructor(readonly typeUrl: string) {}

  get subscribed(): boolean {
    return this.wildcard || this.names.size > 0;
  }
}

/** Observable per-type state of an ADS client. */
export interface ClientTypeStatus {
  typeUrl: string;
  wildcard: boolean;
  names: string[];
  resources: number;
  ackedVersion: string;
  lastNack?: NackRecord;
}
