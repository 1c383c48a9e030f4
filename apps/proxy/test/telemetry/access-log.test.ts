import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { AccessLogWriter, formatAccessLogEntry, type AccessLogRecord } from '../../src/telemetry/index.js';

/** The keys of Istio's EnvoyJSONLogFormatIstio (pilot/pkg/networking/core/accesslog.go). */
const ISTIO_JSON_KEYS = [
  'authority',
  'bytes_received',
  'bytes_sent',
  'connection_termination_details',
  'downstream_local_address',
  'downstream_remote_address',
  'duration',
  'method',
  'path',
  'protocol',
  'request_id',
  'requested_server_name',
  'response_code',
  'response_code_details',
  'response_flags',
  'route_name',
  'start_time',
  'upstream_cluster',
  'upstream_host',
  'upstream_local_address',
  'upstream_service_time',
  'upstream_transport_failure_reason',
  'user_agent',
  'x_forwarded_for',
];

const HTTP_REQUEST: AccessLogRecord = {
  startTime: new Date('2024-05-01T10:30:45.123Z'),
  method: 'GET',
  path: '/reviews/0',
  protocol: 'HTTP/1.1',
  responseCode: 200,
  responseFlags: '-',
  responseCodeDetails: 'via_upstream',
  bytesReceived: 0,
  bytesSent: 295,
  durationMs: 4.9,
  upstreamServiceTimeMs: 3,
  userAgent: 'curl/8.5.0',
  requestId: 'c1b7e2c4-0d51-4f2a-9a55-0c9f8d2b6b01',
  authority: 'reviews:9080',
  upstreamHost: '10.244.1.5:9080',
  upstreamCluster: 'inbound|9080||',
  upstreamLocalAddress: '127.0.0.6:44444',
  downstreamLocalAddress: '10.244.1.5:9080',
  downstreamRemoteAddress: '10.244.1.3:45678',
  requestedServerName: 'outbound_.9080_._.reviews.default.svc.cluster.local',
  routeName: 'default',
};

describe('formatAccessLogEntry', () => {
  it('prints one line of Istio’s JSON format with Envoy’s types', () => {
    const line = formatAccessLogEntry(HTTP_REQUEST);
    expect(line).not.toContain('\n');
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(ISTIO_JSON_KEYS);
    expect(entry).toMatchObject({
      start_time: '2024-05-01T10:30:45.123Z',
      method: 'GET',
      response_code: 200,
      bytes_sent: 295,
      duration: 4,
      upstream_service_time: '3',
      response_code_details: 'via_upstream',
      connection_termination_details: null,
      x_forwarded_for: null,
      upstream_transport_failure_reason: null,
    });
  });

  it('prints a TCP connection with null request fields, code 0 and its flags', () => {
    const entry = JSON.parse(
      formatAccessLogEntry({
        startTime: new Date(0),
        bytesReceived: 10,
        bytesSent: 20,
        durationMs: 1000,
        responseFlags: 'UF',
        upstreamTransportFailureReason: 'TLS_error: CERTIFICATE_VERIFY_FAILED',
        upstreamCluster: 'outbound|5432||db.default.svc.cluster.local',
      }),
    ) as Record<string, unknown>;
    expect(entry).toMatchObject({
      method: null,
      path: null,
      protocol: null,
      response_code: 0,
      response_flags: 'UF',
      upstream_service_time: null,
      upstream_transport_failure_reason: 'TLS_error: CERTIFICATE_VERIFY_FAILED',
    });
  });

  it('escapes hostile header values instead of breaking the line', () => {
    const line = formatAccessLogEntry({ ...HTTP_REQUEST, userAgent: 'evil"\n{"x":1}' });
    expect(line.split('\n')).toHaveLength(1);
    expect((JSON.parse(line) as { user_agent: string }).user_agent).toBe('evil"\n{"x":1}');
  });
});

describe('AccessLogWriter', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('appends one JSON line per entry to a file path', async () => {
    dir = await mkdtemp(join(tmpdir(), 'access-log-'));
    const path = join(dir, 'access.log');
    const writer = new AccessLogWriter(path);
    writer.write(HTTP_REQUEST);
    writer.write({ ...HTTP_REQUEST, responseCode: 503, responseFlags: 'UH' });
    await writer.close();

    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { response_code: number }).response_code)).toEqual([
      200, 503,
    ]);
  });

  it('writes to a given stream and leaves it open', async () => {
    const stream = new PassThrough();
    const writer = new AccessLogWriter(stream);
    writer.write(HTTP_REQUEST);
    await writer.close();
    expect(stream.writableEnded).toBe(false);
    expect(String(stream.read())).toBe(`${formatAccessLogEntry(HTTP_REQUEST)}\n`);
  });

  it('uses the process’s own stdout for /dev/stdout, as Istio’s accessLogFile does', async () => {
    const writer = new AccessLogWriter('/dev/stdout');
    await writer.close();
    expect(process.stdout.writableEnded).toBe(false);
  });

  it('reports a failing destination instead of throwing into the request path', async () => {
    const errors: Error[] = [];
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const writer = new AccessLogWriter(broken, (error) => errors.push(error));
    expect(() => writer.write(HTTP_REQUEST)).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((error) => error.message)).toEqual(['disk full']);
    expect(() => writer.write(HTTP_REQUEST)).not.toThrow();
  });
});
