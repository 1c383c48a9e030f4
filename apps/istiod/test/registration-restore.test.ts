import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { AdsClient, JsonValue } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import { parseIstiodOptions, UsageError } from '../src/options.js';
import { readRegistrations, REGISTRATIONS_FILE } from '../src/registry/registration-file.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir, until, workloadAdsClient } from './istiod-harness.js';
import { WEB_NODE_ID, WEB_SERVICE, webEndpoints, webMetadata } from './web-workload.js';

/**
 * istiod restarting on the same state directory keeps the endpoints its proxies had registered, for a
 * bounded grace period, while they reconnect; what it restores is only what its previous run proved.
 */

const WEB = '127.0.0.5:8080 web istio';

describe('endpoint registrations across an istiod restart', () => {
  const running: RunningIstiod[] = [];
  const clients: AdsClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const istiod of running.splice(0)) await istiod.close();
  });

  async function start(stateDir: string, reconnectGrace: string): Promise<RunningIstiod> {
    const config = tempDir('istiod-config-');
    writeFileSync(join(config, 'web.yaml'), WEB_SERVICE);
    const istiod = await startTestIstiod(stateDir, [
      ...['--config-dir', config, '--push-debounce', '10ms'],
      ...['--reconnect-grace', reconnectGrace],
    ]);
    running.push(istiod);
    return istiod;
  }

  function connect(istiod: RunningIstiod, identity: string, metadata: Record<string, JsonValue> = {}) {
    const client = workloadAdsClient(istiod, { id: WEB_NODE_ID, metadata: webMetadata(metadata) }, identity);
    clients.push(client);
    return client;
  }

  /** A first istiod on `stateDir` with web's sidecar registered, stopped once the file holds it. */
  async function previousRun(stateDir: string): Promise<void> {
    const first = await start(stateDir, '10s');
    connect(first, 'ns/default/sa/web');
    await until(() => webEndpoints(first).length === 1, 5000, 'registration');
    const file = join(stateDir, REGISTRATIONS_FILE);
    await until(
      () => {
        try {
          return readFileSync(file, 'utf8').includes(WEB_NODE_ID);
        } catch {
          return false;
        }
      },
      5000,
      'the registration to be kept',
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const client of clients.splice(0)) client.close();
    await running.splice(0)[0]?.close();
  }

  it('serves the previous run’s registrations at once, and keeps one whose proxy reconnected', async () => {
    const stateDir = tempDir('istiod-state-');
    await previousRun(stateDir);
    const restarted = await start(stateDir, '1s');
    expect(webEndpoints(restarted)).toEqual([WEB]); // before any proxy connected

    connect(restarted, 'ns/default/sa/web');
    await new Promise((r) => setTimeout(r, 2000)); // past the restored grace period
    expect(webEndpoints(restarted)).toEqual([WEB]);
  });

  it('removes a restored registration whose proxy does not come back, and lets no one else take it', async () => {
    const stateDir = tempDir('istiod-state-');
    await previousRun(stateDir);
    const restarted = await start(stateDir, '1s');
    expect(webEndpoints(restarted)).toEqual([WEB]);
    // Another identity reusing the node id during the grace period is refused, as with a live one.
    const impostor = connect(restarted, 'ns/default/sa/attacker', {
      SERVICE_ACCOUNT: 'attacker',
      INSTANCE_IPS: '127.0.0.9',
    });
    await new Promise<void>((resolve) => impostor.once('connected', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    expect(webEndpoints(restarted)).toEqual([WEB]);
    await until(() => webEndpoints(restarted).length === 0, 5000, 'removal after the grace period');
  });

  it('restores nothing from a file others could have written, or with --reconnect-grace 0s', async () => {
    const stateDir = tempDir('istiod-state-');
    await previousRun(stateDir);
    const file = join(stateDir, REGISTRATIONS_FILE);
    chmodSync(file, 0o644);
    expect(webEndpoints(await start(stateDir, '10s'))).toEqual([]);
    chmodSync(file, 0o600);
    expect(webEndpoints(await start(stateDir, '0s'))).toEqual([]);
  });
});

describe('reading the registrations file', () => {
  const entry = (identity: string, id = WEB_NODE_ID): unknown => ({
    identity,
    node: { id, metadata: webMetadata() },
  });

  function read(content: string, mode = 0o600): { nodes: string[]; problems: string[] } {
    const stateDir = tempDir('istiod-state-');
    const file = join(stateDir, REGISTRATIONS_FILE);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { mode });
    const problems: string[] = [];
    const restored = readRegistrations(stateDir, 'cluster.local', (p) => problems.push(p));
    return { nodes: restored.map((r) => r.node.id), problems };
  }

  it('skips, with its field, every entry istiod would not have written', () => {
    const { nodes, problems } = read(
      JSON.stringify({
        version: 1,
        registrations: [
          entry('spiffe://cluster.local/ns/default/sa/web'),
          entry('spiffe://evil.example/ns/default/sa/web', 'other'),
          entry('spiffe://cluster.local/ns/default/sa/web'),
          entry('not-a-spiffe-id', 'third'),
          { identity: 'spiffe://cluster.local/ns/default/sa/web', node: { id: '', metadata: {} } },
        ],
      }),
    );
    expect(nodes).toEqual([WEB_NODE_ID]);
    expect(problems).toEqual([
      expect.stringMatching(
        /registrations\[1\]\.identity is in trust domain evil\.example, not cluster\.local/,
      ),
      expect.stringMatching(/registrations\[2\]\.node\.id repeats/),
      expect.stringMatching(/registrations\[3\]\.identity .*must start with spiffe:\/\//),
      expect.stringMatching(/registrations\[4\]\.node\.id is not a non-empty string/),
    ]);
  });

  it('reads nothing from a file that is not owner-only, a symbolic link, not JSON or another format', () => {
    const valid = JSON.stringify({
      version: 1,
      registrations: [entry('spiffe://cluster.local/ns/default/sa/web')],
    });
    expect(read(valid).nodes).toEqual([WEB_NODE_ID]);
    expect(read(valid, 0o640).problems).toEqual([
      expect.stringMatching(/has mode 640; istiod writes it 600/),
    ]);
    expect(read('{"version": 1, "registrations": [').problems).toEqual([expect.stringMatching(/JSON/)]);
    expect(read('{"version": 2, "registrations": []}').problems).toEqual([
      expect.stringMatching(/is not a version 1 registrations file/),
    ]);

    const stateDir = tempDir('istiod-state-');
    const elsewhere = join(tempDir('elsewhere-'), 'registrations.json');
    writeFileSync(elsewhere, valid, { mode: 0o600 });
    mkdirSync(dirname(join(stateDir, REGISTRATIONS_FILE)), { recursive: true });
    symlinkSync(elsewhere, join(stateDir, REGISTRATIONS_FILE));
    const problems: string[] = [];
    expect(readRegistrations(stateDir, 'cluster.local', (p) => problems.push(p))).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(/is a symbolic link: no endpoint registration is restored/),
    ]);
  });
});

describe('--reconnect-grace', () => {
  const parse = (...args: string[]) =>
    parseIstiodOptions(['--config-dir', tempDir('c-'), '--state-dir', tempDir('s-'), ...args]);

  it('defaults to Istio’s 10 s and is bounded', () => {
    expect(parse().reconnectGraceMs).toBe(10_000);
    expect(parse('--reconnect-grace', '1500ms').reconnectGraceMs).toBe(1500);
    expect(() => parse('--reconnect-grace', '301s')).toThrow(UsageError);
    expect(() => parse('--reconnect-grace', '301s')).toThrow(/longer than the 300s allowed/);
  });
});
