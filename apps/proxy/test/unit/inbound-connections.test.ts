import { describe, expect, it } from 'vitest';

import { InboundConnectionLog, type InboundConnection } from '../../src/admin/inbound-connections.js';

/** The admin's record of inbound connections: a bounded ring and bounded per-caller counts. */
describe('InboundConnectionLog', () => {
  const plaintext = (address: string, port = 8080): InboundConnection => ({
    address,
    port,
    mtls: false,
    listener: 'virtualInbound',
    chain: 'virtualInbound-catchall-http',
  });
  const mutual = (address: string, peer: string): InboundConnection => ({
    address,
    port: 8080,
    mtls: true,
    peer,
    listener: 'virtualInbound',
    chain: '0.0.0.0_8080',
  });
  function clock(): { now: () => number; tick: () => void } {
    let t = Date.UTC(2026, 11, 7, 23, 0, 0);
    return { now: () => t, tick: () => (t += 1000) };
  }

  it('keeps only the last connections, newest first', () => {
    const log = new InboundConnectionLog(3);
    for (const n of [1, 2, 3, 4, 5]) log.record(plaintext(`10.0.0.${n}`));
    expect(log.list().connections.map((c) => c.address)).toEqual(['10.0.0.5', '10.0.0.4', '10.0.0.3']);
  });

  it('counts each caller across connections the ring has forgotten, mTLS and plaintext apart', () => {
    const { now, tick } = clock();
    const log = new InboundConnectionLog(2, 100, now);
    log.record(plaintext('127.0.0.1'));
    tick();
    log.record(mutual('127.0.0.1', 'spiffe://cluster.local/ns/default/sa/frontend'));
    tick();
    log.record(plaintext('127.0.0.1'));
    tick();
    log.record(plaintext('127.0.0.1'));
    const { connections, callers } = log.list();
    expect(connections).toHaveLength(2);
    expect(callers).toEqual([
      {
        address: '127.0.0.1',
        port: 8080,
        mtls: false,
        count: 3,
        firstSeen: '2026-12-07T23:00:00.000Z',
        lastSeen: '2026-12-07T23:00:03.000Z',
      },
      {
        address: '127.0.0.1',
        port: 8080,
        mtls: true,
        peer: 'spiffe://cluster.local/ns/default/sa/frontend',
        count: 1,
        firstSeen: '2026-12-07T23:00:01.000Z',
        lastSeen: '2026-12-07T23:00:01.000Z',
      },
    ]);
  });

  it('bounds the callers it aggregates, evicting the least recently seen', () => {
    const log = new InboundConnectionLog(10, 2);
    log.record(plaintext('10.0.0.1'));
    log.record(plaintext('10.0.0.2'));
    log.record(plaintext('10.0.0.1'));
    log.record(plaintext('10.0.0.3'));
    expect(log.list().callers.map((c) => `${c.address}:${c.count}`)).toEqual(['10.0.0.3:1', '10.0.0.1:2']);
  });

  it('keeps ports apart for one address', () => {
    const log = new InboundConnectionLog();
    log.record(plaintext('10.0.0.1', 8080));
    log.record(plaintext('10.0.0.1', 9090));
    expect(log.list().callers.map((c) => c.port)).toEqual([9090, 8080]);
  });
});
