import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createIntermediate, createSelfSignedRoot, PLUG_IN_CA_FILES } from '@mesh/pki';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { startTestIstiod, tempDir } from './istiod-harness.js';
import type { RunningIstiod } from '../src/server/istiod.js';

/**
 * istiod's CA expiry metrics on its monitoring port, as Istio names them
 * (`security/pkg/server/ca/monitoring.go`): when the root and the signing certificate expire, in
 * seconds since the epoch, and the time left — checked by promtool and against the CA material.
 */

const DAY = 86400;
const dirs: string[] = [];
const running: RunningIstiod[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** A plug-in CA directory: an intermediate of `rootDays` root, itself living `intermediateDays`. */
function pluginCa(rootDays: number, intermediateDays: number) {
  const root = createSelfSignedRoot({ trustDomain: 'cluster.local', ttlSeconds: rootDays * DAY });
  const intermediate = createIntermediate({ parent: root, ttlSeconds: intermediateDays * DAY });
  const caDir = dir('cacerts-');
  const files = intermediate.toCacertsFiles();
  for (const name of Object.values(PLUG_IN_CA_FILES)) writeFileSync(join(caDir, name), files[name]);
  return { caDir, root: root.certificate, signing: intermediate.certificate };
}

async function metrics(args: string[] = []): Promise<string> {
  const istiod = await startTestIstiod(dir('istiod-state-'), args);
  running.push(istiod);
  return (await fetch(`http://127.0.0.1:${istiod.ports.monitoring}/metrics`)).text();
}

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} is not in /metrics`);
  return Number(line.slice(name.length + 1));
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The expiry families of an exposition, checked by `promtool check metrics`. (Istio's CSR counters,
 * `citadel_server_csr_count` and the like, draw promtool's naming lints for lacking `_total`: their
 * names are Istio's, which dashboards use.)
 */
function promtool(text: string): Promise<{ code: number; output: string }> {
  const expiry = text
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?citadel_server_(root_cert|cert_chain)_expiry_/.test(l))
    .join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], { timeout: 10_000 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT')
        reject(new Error('promtool is not installed (Debian: apt-get install prometheus)'));
      else resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(`${expiry}\n`);
  });
}

describe('citadel_server expiry metrics', () => {
  it('give the expiry of the root and of the signing certificate of a plug-in CA', async () => {
    const { caDir, root, signing } = pluginCa(3650, 400);
    const text = await metrics(['--ca-dir', caDir]);
    expect(sample(text, 'citadel_server_root_cert_expiry_timestamp')).toBe(seconds(root.notAfter));
    expect(sample(text, 'citadel_server_cert_chain_expiry_timestamp')).toBe(seconds(signing.notAfter));
    const rootLeft = sample(text, 'citadel_server_root_cert_expiry_seconds');
    const chainLeft = sample(text, 'citadel_server_cert_chain_expiry_seconds');
    // Time left when scraped: within the minute this test takes.
    expect(rootLeft).toBeLessThanOrEqual(3650 * DAY);
    expect(rootLeft).toBeGreaterThan(3650 * DAY - 60);
    expect(chainLeft).toBeLessThanOrEqual(400 * DAY);
    expect(chainLeft).toBeGreaterThan(400 * DAY - 60);
  });

  it('follow the CA material istiod loads: a new root after a restart on another plug-in CA', async () => {
    const first = pluginCa(3650, 400);
    expect(
      sample(await metrics(['--ca-dir', first.caDir]), 'citadel_server_root_cert_expiry_timestamp'),
    ).toBe(seconds(first.root.notAfter));
    const rotated = pluginCa(1000, 100);
    const text = await metrics(['--ca-dir', rotated.caDir]);
    expect(sample(text, 'citadel_server_root_cert_expiry_timestamp')).toBe(seconds(rotated.root.notAfter));
    expect(sample(text, 'citadel_server_cert_chain_expiry_timestamp')).toBe(
      seconds(rotated.signing.notAfter),
    );
  });

  it('give a self-signed root’s expiry for both: it is also the signing certificate', async () => {
    const text = await metrics();
    const root = sample(text, 'citadel_server_root_cert_expiry_timestamp');
    expect(root).toBeGreaterThan(Date.now() / 1000 + 3649 * DAY);
    expect(sample(text, 'citadel_server_cert_chain_expiry_timestamp')).toBe(root);
  });

  it('pass promtool check metrics', async () => {
    const text = await metrics();
    expect(text).toContain('# TYPE citadel_server_root_cert_expiry_timestamp gauge');
    expect(text).toContain('# TYPE citadel_server_cert_chain_expiry_seconds gauge');
    expect(await promtool(text)).toEqual({ code: 0, output: '' });
  });

  it('count CSR signing errors under Istio’s name', async () => {
    expect(await metrics()).toContain('# TYPE citadel_server_csr_sign_err_count counter');
  });
});
