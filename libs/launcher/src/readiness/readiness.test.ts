import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseReadinessReport, ReadinessReportError } from './readiness-report.js';
import { parseReadyFd, ReadinessReporter } from './readiness-reporter.js';

const dir = mkdtempSync(join(tmpdir(), 'readiness-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ISTIOD_READY = { xdsPort: 15010, secureXdsPort: 15012, monitoringPort: 15014 };
const PROXY_READY = {
  adminPort: 15000,
  outboundPort: 15001,
  inboundPort: 15006,
  statusPort: 15021,
  statsPort: 15090,
};

describe('parseReadinessReport', () => {
  it.each([
    ['istiod', { ready: true, ports: ISTIOD_READY }],
    ['istiod', { ready: true, ports: { ...ISTIOD_READY, xdsPort: null } }],
    ['mesh-proxy', { ready: true, ports: PROXY_READY }],
    ['istiod', { ready: false, reason: 'listen EADDRINUSE: address already in use 127.0.0.1:15012' }],
  ] as const)('%s: %j', (program, report) => {
    expect(parseReadinessReport(program, JSON.stringify(report))).toEqual(report);
  });

  it('keeps only the ports of the contract', () => {
    const line = JSON.stringify({ ready: true, ports: { ...ISTIOD_READY, extra: 1 }, pid: 7 });
    expect(parseReadinessReport('istiod', line)).toEqual({ ready: true, ports: ISTIOD_READY });
  });

  it.each([
    ['istiod', 'istiod is serving', 'not JSON: "istiod is serving"'],
    ['istiod', '[]', 'not a JSON object'],
    ['istiod', '{"ready":"yes"}', 'ready: must be true or false'],
    ['istiod', '{"ready":false}', 'reason: a non-empty string is required when ready is false'],
    ['istiod', '{"ready":false,"reason":" "}', 'reason: a non-empty string is required when ready is false'],
    ['istiod', '{"ready":true}', 'ports: an object is required when ready is true'],
    [
      'istiod',
      JSON.stringify({ ready: true, ports: { ...ISTIOD_READY, secureXdsPort: null } }),
      'ports.secureXdsPort: null is not a port number',
    ],
    [
      'mesh-proxy',
      JSON.stringify({ ready: true, ports: { ...PROXY_READY, statusPort: 70000 } }),
      'ports.statusPort: 70000 is not a port number',
    ],
    [
      'mesh-proxy',
      JSON.stringify({ ready: true, ports: ISTIOD_READY }),
      'ports.adminPort: undefined is not a port number',
    ],
  ] as const)('%s: %s is refused (%s)', (program, line, message) => {
    expect(() => parseReadinessReport(program, line)).toThrow(new ReadinessReportError(message));
  });
});

describe('ReadinessReporter', () => {
  it('writes one document and a newline, closes the descriptor, and ignores later calls', () => {
    const file = join(dir, 'report');
    const fd = openSync(file, 'w');
    const reporter = new ReadinessReporter<typeof ISTIOD_READY>(fd);
    expect(reporter.pending).toBe(true);
    reporter.ready(ISTIOD_READY);
    reporter.failed('too late to contradict it');
    expect(reporter.pending).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify({ ready: true, ports: ISTIOD_READY })}\n`);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
    expect(parseReadinessReport('istiod', readFileSync(file, 'utf8').trimEnd())).toEqual({
      ready: true,
      ports: ISTIOD_READY,
    });
  });

  it('reports a failure with its reason', () => {
    const file = join(dir, 'failure');
    const reporter = new ReadinessReporter(openSync(file, 'w'));
    reporter.failed('  listen EACCES: permission denied 0.0.0.0:80\n');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      ready: false,
      reason: 'listen EACCES: permission denied 0.0.0.0:80',
    });
  });

  it('does nothing without a descriptor', () => {
    const reporter = new ReadinessReporter(undefined);
    expect(reporter.pending).toBe(false);
    expect(() => reporter.ready(ISTIOD_READY)).not.toThrow();
  });
});

describe('parseReadyFd', () => {
  it('accepts an open descriptor above stdio', () => {
    const fd = openSync(join(dir, 'open'), 'w');
    try {
      expect(parseReadyFd(String(fd))).toBe(fd);
    } finally {
      closeSync(fd);
    }
  });

  it.each([
    ['1', '"1" is not a file descriptor number (3 or more)'],
    ['three', '"three" is not a file descriptor number (3 or more)'],
    ['-4', '"-4" is not a file descriptor number (3 or more)'],
    ['987654', 'descriptor 987654 is not open'],
  ])('refuses %s: %s', (value, message) => {
    expect(() => parseReadyFd(value)).toThrow(message);
  });
});
