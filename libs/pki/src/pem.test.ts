import { describe, expect, it } from 'vitest';

import { decodePem, decodePemBlocks, encodePem, splitCertificatePem } from './pem.js';

describe('PEM', () => {
  it('writes 64-column lines and a trailing newline, and reads it back', () => {
    const der = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const pem = encodePem('CERTIFICATE', der);
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines[1]).toHaveLength(64);
    expect(pem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(decodePemBlocks(pem)).toEqual([{ label: 'CERTIFICATE', der }]);
  });

  it('reads blocks between comments and CRLF line ends, and splits bundles one certificate each', () => {
    const one = encodePem('CERTIFICATE', Buffer.from('one'));
    const two = encodePem('CERTIFICATE', Buffer.from('two'));
    const text = `Subject: x\r\n${one.replace(/\n/g, '\r\n')}\n# comment\n${two}`;
    expect(splitCertificatePem(text)).toEqual([one, two]);
    expect(decodePem(text, ['CERTIFICATE'], 'bundle')).toHaveLength(2);
  });

  it('says what is missing or broken', () => {
    expect(() => decodePem('nothing', ['CERTIFICATE'], 'root-cert.pem')).toThrow(
      expect.objectContaining({ code: 'PKI_INVALID_PEM', message: expect.stringContaining('root-cert.pem') }),
    );
    expect(() => decodePemBlocks('-----BEGIN X-----\nab$d\n-----END X-----')).toThrow(/not valid base64/);
  });

  it('refuses a BEGIN line with no END line, naming the END line it expected', () => {
    expect(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\nAAAA\n')).toThrow(
      'the CERTIFICATE PEM block has no "-----END CERTIFICATE-----" line',
    );
    expect(() => decodePemBlocks('-----BEGIN A-----\nAAAA\n-----END B-----\n')).toThrow(
      /no "-----END A-----"/,
    );
  });

  // The CA parses callers' CSRs on the event loop that serves xDS: the regular expression this replaced
  // took minutes on 3 MB of repeated BEGIN lines (each one scanned to the end of the input for its END).
  it.each([
    ['repeated BEGIN lines', '-----BEGIN A-----'.repeat(180_000)],
    ['repeated unfinished BEGIN lines', '-----BEGIN '.repeat(280_000)],
    ['3 MB of base64 with no END line', `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(3_000_000)}`],
  ])('reads 3 MB of %s in linear time', (_name, input) => {
    const started = performance.now();
    try {
      decodePemBlocks(input);
    } catch {
      // refused or not: only the time matters here
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
