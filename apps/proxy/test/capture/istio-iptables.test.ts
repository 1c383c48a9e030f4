import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type CaptureOptions,
  iptablesRestoreCommandFor,
  istioCaptureRules,
  istioCleanupRules,
  resolveCaptureOptions,
} from '../../src/capture/index.js';
import { namespaceTestsUnavailable, NetworkNamespace } from './network-namespace.js';

/**
 * Golden tests: `testdata/<case>.in.json` (CaptureOptions) → `<case>.out.txt` (restore text, commands
 * and cleanup). `UPDATE_GOLDEN=1 npx vitest run` rewrites the outputs; review the diff like code. The
 * defaults case was compared line by line with istio/istio's
 * tools/istio-iptables/pkg/capture/testdata/inbound-wildcard-exclude.golden: same chains, same rules in
 * the same order, plus the final `-j ISTIO_REDIRECT` that Istio's `-i '*'` (our default) adds.
 */
const DIR = join(import.meta.dirname, 'testdata');
const CASES = readdirSync(DIR)
  .filter((f) => f.endsWith('.in.json'))
  .map((f) => f.slice(0, -'.in.json'.length))
  .sort();

function optionsOf(name: string): CaptureOptions {
  return JSON.parse(readFileSync(join(DIR, `${name}.in.json`), 'utf8')) as CaptureOptions;
}

function render(options: CaptureOptions): string {
  const capture = istioCaptureRules(options);
  const cleanup = istioCleanupRules(options);
  const restore = iptablesRestoreCommandFor(capture.family);
  return [
    `# ${restore} --noflush`,
    capture.restoreText,
    '# as commands',
    ...capture.commands.map((argv) => argv.join(' ')),
    '',
    `# cleanup: ${restore} --noflush`,
    cleanup.restoreText,
  ].join('\n');
}

function expectGolden(name: string, text: string): void {
  const golden = join(DIR, `${name}.out.txt`);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
  expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(readFileSync(golden, 'utf8'));
}

describe('istio-iptables rules (golden)', () => {
  it.each(CASES)('%s', (name) => {
    expectGolden(name, render(optionsOf(name)));
  });
});

describe('istio-iptables rules', () => {
  it('keeps commands and restore text in step, rule for rule', () => {
    const { rules, commands, restoreText } = istioCaptureRules({ excludeOutboundPorts: [22] });
    expect(commands).toHaveLength(rules.length);
    const body = restoreText.trim().split('\n').slice(1, -1);
    expect(commands.map((argv) => argv.slice(3).join(' '))).toEqual(body);
    expect(commands.every((argv) => argv[0] === 'iptables' && argv[2] === 'nat')).toBe(true);
    expect(istioCaptureRules({ family: 6 }).commands[0]![0]).toBe('ip6tables');
  });

  it("always excludes the proxy's own inbound ports, in the injector's order", () => {
    expect(resolveCaptureOptions().excludeInboundPorts).toEqual([15090, 15021, 15020]);
    expect(resolveCaptureOptions({ excludeInboundPorts: [8443, 15021] }).excludeInboundPorts).toEqual([
      15090, 15021, 8443, 15020,
    ]);
  });

  it('cleans up only the jumps it created', () => {
    const cleanup = istioCleanupRules({ includeInboundPorts: [] }).commands.map((argv) => argv.join(' '));
    expect(cleanup.filter((c) => c.includes(' -D '))).toEqual(['iptables -t nat -D OUTPUT -j ISTIO_OUTPUT']);
  });

  it.each<[string, CaptureOptions, string]>([
    [
      'a port out of range',
      { excludeOutboundPorts: [22, 70000] },
      'excludeOutboundPorts[1]: 70000 is not a port',
    ],
    ['a port that is not an integer', { proxyPort: 15001.5 }, 'proxyPort: 15001.5 is not a port'],
    [
      'a bare address',
      { excludeOutboundIpRanges: ['10.0.0.1'] },
      'excludeOutboundIpRanges[0]: "10.0.0.1" is not a CIDR',
    ],
    [
      'a prefix too long',
      { includeOutboundIpRanges: ['10.0.0.0/33'] },
      'includeOutboundIpRanges[0]: "10.0.0.0/33"',
    ],
    [
      'a wildcard exclusion',
      { excludeOutboundIpRanges: '*' as unknown as string[] },
      'excludeOutboundIpRanges: expected',
    ],
    ['a negative uid', { proxyUid: -1 }, 'proxyUid: -1 is not a uid or gid'],
    ['an unknown family', { family: 5 as 4 }, 'family: 5 is not 4 or 6'],
  ])('rejects %s with CAPTURE_INVALID_OPTIONS', (_, options, message) => {
    expect(() => istioCaptureRules(options)).toThrow(
      expect.objectContaining({ code: 'CAPTURE_INVALID_OPTIONS', message: expect.stringContaining(message) }),
    );
  });
});

const unavailable = namespaceTestsUnavailable();

describe.skipIf(unavailable !== undefined)(
  `istio-iptables rules in a real kernel (netns${unavailable ? `; skipped: ${unavailable}` : ''})`,
  () => {
    let namespace: NetworkNamespace;
    beforeAll(() => {
      namespace = NetworkNamespace.create('capture-rules');
    });
    afterAll(() => namespace?.delete());

    function natTable(family: 4 | 6): string {
      return namespace.exec(family === 4 ? 'iptables-save' : 'ip6tables-save', ['-t', 'nat']);
    }

    it.each(CASES)('%s: iptables-restore accepts it, and the cleanup removes every trace', (name) => {
      const options = optionsOf(name);
      const capture = istioCaptureRules(options);
      const restore = iptablesRestoreCommandFor(capture.family);
      namespace.exec(restore, ['--noflush'], capture.restoreText);
      const applied = natTable(capture.family);
      for (const rule of capture.rules.filter((r) => r.operation === '-A')) {
        expect(applied).toContain(`-A ${rule.chain} `);
      }
      expect(applied.split('\n').filter((l) => l.startsWith('-A '))).toHaveLength(
        capture.rules.filter((r) => r.operation === '-A').length,
      );
      namespace.exec(restore, ['--noflush'], istioCleanupRules(options).restoreText);
      expect(natTable(capture.family)).not.toContain('ISTIO_');
    });
  },
);
