import type { XdsConnection } from './resource-source.js';

/** Minimal structured logger (pino-compatible signatures). */
export interface XdsLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: XdsLogger = { debug: ignore, info: ignore, warn: ignore };

export interface PushRecord {
  typeUrl: string;
  version: string;
  nonce: string;
  resources: number;
  removed: number;
  bytes: number;
  /** Time spent generating and encoding the response. */
  durationMs: number;
}

/** Observability hooks: istiod turns these into metrics (pilot_xds_pushes, rejects, push time). */
export interface AdsServerHooks {
  onConnect?(connection: XdsConnection): void;
  onDisconnect?(connection: XdsConnection, reason: string): void;
  onPush?(connection: XdsConnection, push: PushRecord): void;
  onAck?(connection: XdsConnection, ack: { typeUrl: string; version: string; nonce: string }): void;
  onNack?(
    connection: XdsConnection,
    nack: { typeUrl: string; version: string; nonce: string; message: string },
  ): void;
}

/** Per-type state of one stream, as shown by debug endpoints (syncz). */
export interface TypeStatus {
  typeUrl: string;
  wildcard: boolean;
  names: string[];
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  nack?: { version: string; nonce: string; message: string; at: Date };
}

export interface ConnectionStatus {
  connection: XdsConnection;
  types: TypeStatus[];
  /** Push requests merged into the pending queue since the last send. */
  pendingPushes: number;
}
