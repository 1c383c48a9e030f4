import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { meshBinary, startIstiod } from '@mesh/launcher';
import { afterAll, describe, expect, it } from 'vitest';

import { tempDir } from './istiod-harness.js';

/**
 * `--mesh-config` as an operator meets it, on the built binary (what `npx istiod` runs): an invalid
 * MeshConfig stops istiod at start with one line naming file, line and field (exit 2); a running
 * istiod logs an invalid edit with file:line, keeps the last good MeshConfig (`/debug/configz`) and
 * takes the next valid one.
 */

const ISTIOD = meshBinary('istiod');
const dirs: string[] = [];

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PORTS = [
  '--listen-address',
  '127.0.0.1',
  '--xds-port',
  '0',
  '--secure-xds-port',
  '0',
  '--monitoring-port',
  '0',
];

function meshFile(text: string): string {
  const file = join(dir('istiod-mesh-'), 'mesh');
  writeFileSync(file, text);
  return file;
}

interface MeshConfigz {
  meshConfig: {
    source: string;
    lastGoodKept: boolean;
    invalid: { message: string }[];
    inForce: { outboundTrafficPolicy: { mode: string }; meshMTLS?: object };
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('istiod --mesh-config', () => {
  it('refuses to start on an invalid MeshConfig: exit 2, one line with file:line and field', () => {
    const file = meshFile('trustDomain: cluster.local\noutboundTrafficPolicy:\n  mode: DENY_ALL\n');
    const result = spawnSync(
      process.execPath,
      [
        ISTIOD,
        '--config-dir',
        dir('istiod-config-'),
        '--state-dir',
        dir('istiod-state-'),
        '--mesh-config',
        file,
        ...PORTS,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      `(MeshConfig ${file}:3) outboundTrafficPolicy.mode: must be one of REGISTRY_ONLY, ALLOW_ANY`,
    );
  });

  it('refuses a mesh config file that does not exist', () => {
    const missing = join(dir('istiod-mesh-'), 'mesh');
    const result = spawnSync(
      process.execPath,
      [
        ISTIOD,
        '--config-dir',
        dir('istiod-config-'),
        '--state-dir',
        dir('istiod-state-'),
        '--mesh-config',
        missing,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(`istiod: --mesh-config: cannot read file ${missing}: ENOENT`);
  });

  it('keeps the last good MeshConfig through an invalid edit, logs it with file:line, takes the next valid one', async () => {
    const file = meshFile('outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n');
    const istiod = startIstiod(
      { configDir: dir('istiod-config-'), stateDir: dir('istiod-state-'), meshConfigFile: file },
      { logs: { memory: true }, readyTimeoutMs: 15_000 },
    );
    const logs = istiod.logs.lines;
    try {
      const serving = await istiod.ready;
      const configz = async () =>
        (await (
          await fetch(`http://127.0.0.1:${serving.monitoringPort}/debug/configz`)
        ).json()) as MeshConfigz;
      expect((await configz()).meshConfig).toMatchObject({
        source: file,
        lastGoodKept: false,
        inForce: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
      });

      writeFileSync(
        file,
        'outboundTrafficPolicy:\n  mode: ALLOW_ANY\nmeshMTLS:\n  minProtocolVersion: TLSV1_1\n',
      );
      const kept = await waitFor(
        async () => {
          const status = (await configz()).meshConfig;
          return status.lastGoodKept ? status : undefined;
        },
        10_000,
        'the invalid edit to be reported',
      );
      expect(kept.inForce.outboundTrafficPolicy.mode).toBe('REGISTRY_ONLY');
      const reason = `(MeshConfig ${file}:4) meshMTLS.minProtocolVersion: must be one of TLS_AUTO, TLSV1_2, TLSV1_3`;
      expect(kept.invalid.map((f) => f.message)).toEqual([`Error [SCHEMA_ENUM] ${reason}`]);
      expect(
        logs.some((line) => line.includes('the last good one stays in force') && line.includes(reason)),
      ).toBe(true);

      writeFileSync(
        file,
        'outboundTrafficPolicy:\n  mode: ALLOW_ANY\nmeshMTLS:\n  minProtocolVersion: TLSV1_3\n',
      );
      const applied = await waitFor(
        async () => {
          const status = (await configz()).meshConfig;
          return status.lastGoodKept ? undefined : status;
        },
        10_000,
        'the valid edit to be applied',
      );
      expect(applied.inForce).toMatchObject({
        outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
        meshMTLS: { minProtocolVersion: 'TLSV1_3' },
      });
    } finally {
      await istiod.stop({ signal: 'SIGKILL' });
    }
  });
});
