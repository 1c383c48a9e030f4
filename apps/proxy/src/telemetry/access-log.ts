import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

import { NO_RESPONSE_FLAGS } from './telemetry-types.js';

/**
 * One access-log entry: what Envoy's command operators in Istio's default JSON format
 * (`EnvoyJSONLogFormatIstio`, pilot/pkg/networking/core/accesslog.go) would read. Absent fields are
 * printed as `null`, as Envoy's JSON formatter prints operators that have no value.
 */
export interface AccessLogRecord {
  /** `%START_TIME%`: when the request (or TCP connection) started. */
  startTime: Date;
  /** `%REQ(:METHOD)%`. */
  method?: string;
  /** `%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`: the path before any rewrite. */
  path?: string;
  /** `%PROTOCOL%`: `HTTP/1.1`, `HTTP/2`; absent for TCP. */
  protocol?: string;
  /** `%RESPONSE_CODE%`: 0 when no response was sent (TCP, or the client went away). */
  responseCode?: number;
  /** `%RESPONSE_FLAGS%`: Envoy's short flags, `-` when none. */
  responseFlags?: string;
  /** `%RESPONSE_CODE_DETAILS%`, e.g. `via_upstream`, `route_not_found`, `rbac_access_denied_matched_policy[...]`. */
  responseCodeDetails?: string;
  /** `%CONNECTION_TERMINATION_DETAILS%`, e.g. `rbac_access_denied_matched_policy[none]`. */
  connectionTerminationDetails?: string;
  /** `%UPSTREAM_TRANSPORT_FAILURE_REASON%`, e.g. a TLS handshake error. */
  upstreamTransportFailureReason?: string;
  /** `%BYTES_RECEIVED%`: body bytes received from downstream (all bytes for TCP). */
  bytesReceived: number;
  /** `%BYTES_SENT%`: body bytes sent downstream (all bytes for TCP). */
  bytesSent: number;
  /** `%DURATION%`: whole milliseconds from start to the last byte sent. */
  durationMs: number;
  /** `%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%`: milliseconds the upstream took, a header value. */
  upstreamServiceTimeMs?: number;
  /** `%REQ(X-FORWARDED-FOR)%`. */
  xForwardedFor?: string;
  /** `%REQ(USER-AGENT)%`. */
  userAgent?: string;
  /** `%REQ(X-REQUEST-ID)%`. */
  requestId?: string;
  /** `%REQ(:AUTHORITY)%`. */
  authority?: string;
  /** `%UPSTREAM_HOST%`: the endpoint address, `ip:port`. */
  upstreamHost?: string;
  /** `%UPSTREAM_CLUSTER%`, e.g. `outbound|9080||reviews.default.svc.cluster.local`. */
  upstreamCluster?: string;
  /** `%UPSTREAM_LOCAL_ADDRESS%`. */
  upstreamLocalAddress?: string;
  /** `%DOWNSTREAM_LOCAL_ADDRESS%`. */
  downstreamLocalAddress?: string;
  /** `%DOWNSTREAM_REMOTE_ADDRESS%`. */
  downstreamRemoteAddress?: string;
  /** `%REQUESTED_SERVER_NAME%`: the TLS SNI. */
  requestedServerName?: string;
  /** `%ROUTE_NAME%`, e.g. `default`. */
  routeName?: string;
}

/**
 * Formats one entry as one line of Istio's default JSON access log. Types follow Envoy's JSON
 * formatter: codes, byte counts and duration are numbers; header values (`upstream_service_time`)
 * are strings; missing values are `null`. Keys are sorted, as Envoy prints them.
 */
export function formatAccessLogEntry(record: AccessLogRecord): string {
  const entry = {
    authority: record.authority ?? null,
    bytes_received: record.bytesReceived,
    bytes_sent: record.bytesSent,
    connection_termination_details: record.connectionTerminationDetails ?? null,
    downstream_local_address: record.downstreamLocalAddress ?? null,
    downstream_remote_address: record.downstreamRemoteAddress ?? null,
    duration: Math.floor(record.durationMs),
    method: record.method ?? null,
    path: record.path ?? null,
    protocol: record.protocol ?? null,
    request_id: record.requestId ?? null,
    requested_server_name: record.requestedServerName ?? null,
    response_code: record.responseCode ?? 0,
    response_code_details: record.responseCodeDetails ?? null,
    response_flags: record.responseFlags || NO_RESPONSE_FLAGS,
    route_name: record.routeName ?? null,
    start_time: record.startTime.toISOString(),
    upstream_cluster: record.upstreamCluster ?? null,
    upstream_host: record.upstreamHost ?? null,
    upstream_local_address: record.upstreamLocalAddress ?? null,
    upstream_service_time:
      record.upstreamServiceTimeMs === undefined ? null : String(Math.floor(record.upstreamServiceTimeMs)),
    upstream_transport_failure_reason: record.upstreamTransportFailureReason ?? null,
    user_agent: record.userAgent ?? null,
    x_forwarded_for: record.xForwardedFor ?? null,
  };
  return JSON.stringify(entry);
}

/** Paths that mean the process's own standard streams, as in MeshConfig `accessLogFile`. */
const STANDARD_STREAMS: Readonly<Record<string, () => Writable>> = {
  '/dev/stdout': () => process.stdout,
  '/dev/stderr': () => process.stderr,
};

/**
 * Writes access-log lines to MeshConfig's `accessLogFile`: `/dev/stdout` (Istio's usual setting),
 * `/dev/stderr`, any file path (appended to), or a stream. A failing log destination is reported to
 * `onError` and never throws into request handling: losing log lines must not fail traffic.
 */
export class AccessLogWriter {
  readonly #stream: Writable;
  readonly #ownsStream: boolean;

  constructor(
    destination: string | Writable,
    private readonly onError: (error: Error) => void = warnAccessLogFailure,
  ) {
    if (typeof destination === 'string') {
      const standard = STANDARD_STREAMS[destination];
      this.#stream = standard ? standard() : createWriteStream(destination, { flags: 'a' });
      this.#ownsStream = standard === undefined;
    } else {
      this.#stream = destination;
      this.#ownsStream = false;
    }
    this.#stream.on('error', (error: Error) => this.onError(error));
  }

  write(record: AccessLogRecord): void {
    this.writeLine(formatAccessLogEntry(record));
  }

  writeLine(line: string): void {
    if (this.#stream.destroyed || this.#stream.writableEnded) return;
    this.#stream.write(`${line}\n`);
  }

  /** Flushes and closes a file this writer opened; shared streams (stdout) are left open. */
  close(): Promise<void> {
    if (!this.#ownsStream || this.#stream.writableEnded) return Promise.resolve();
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}

/** By default a broken log destination shows up as a process warning rather than silently. */
function warnAccessLogFailure(error: Error): void {
  process.emitWarning(`access log write failed: ${error.message}`, { code: 'MESH_ACCESS_LOG' });
}
