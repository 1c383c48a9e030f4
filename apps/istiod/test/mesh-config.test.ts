import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { AdsClient, TypeUrl } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import { MeshConfigError } from '../src/config/mesh-config-source.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir } from './istiod-harness.js';

/**
 * istiod reads Istio's MeshConfig (`--mesh-config`, or the `istio` ConfigMap) and generates from it:
 * meshMTLS on inbound mTLS, outboundTrafficPolicy on the outbound catch-all, the trust domain in the
 * SANs clients verify. An invalid edit keeps the last good MeshConfig in force and is reported.
 */

const MESH = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-1, namespace: default}
spec: {address: 10.0.0.20, labels: {app: ratings, security.istio.io/tlsMode: istio}, serviceAccount: ratings}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`;

const meshConfigMap = (mesh: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
${mesh
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`;

/** Waits for `condition`, polling; fails with `describe()` after `ms`. */
async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, describe: () => string) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('MeshConfig in istiod', () => {
  let istiod: RunningIstiod | undefined;
  let client: AdsClient | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    client?.close();
    await istiod?.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** istiod on a config directory holding MESH (and `extra` files), with `args`. */
  async function start(args: string[] = [], extra: Record<string, string> = {}) {
    const config = tempDir('istiod-config-');
    const state = tempDir('istiod-state-');
    dirs.push(config, state);
    writeFileSync(join(config, 'mesh.yaml'), MESH);
    for (const [file, text] of Object.entries(extra)) writeFileSync(join(config, file), text);
    istiod = await startTestIstiod(state, ['--config-dir', config, ...args]);
    return istiod;
  }

  /** A mesh config file in its own directory (Istio mounts it as /etc/istio/config/mesh). */
  function meshFile(text: string): string {
    const dir = tempDir('istiod-mesh-');
    dirs.push(dir);
    const file = join(dir, 'mesh');
    writeFileSync(file, text);
    return file;
  }

  /** A sidecar for reviews-1 subscribed to listeners and clusters; the JSON of what it holds. */
  function connect(running: RunningIstiod) {
    const nacks: string[] = [];
    client = new AdsClient({
      target: `127.0.0.1:${running.ports.xds}`,
      node: {
        id: 'sidecar~10.0.0.10~reviews-1.default~default.svc.cluster.local',
        metadata: {
          NAMESPACE: 'default',
          LABELS: { app: 'reviews' },
          INSTANCE_IPS: '10.0.0.10',
          SERVICE_ACCOUNT: 'reviews',
        },
      },
    });
    client.on('nack', (n) => nacks.push(n.message));
    client.subscribe(TypeUrl.Listener);
    client.subscribe(TypeUrl.Cluster);
    client.start();
    const held = client;
    const json = (typeUrl: string, name: string) =>
      JSON.stringify(held.resources(typeUrl).get(name)?.resource ?? null);
    return {
      nacks,
      inbound: () => json(TypeUrl.Listener, 'virtualInbound'),
      /** The cluster of virtualOutbound's catch-all chain: where a call to an unknown host goes. */
      catchAll: () => {
        const listener = held
          .resources<{ filter_chains?: { name?: string; filters?: object[] }[] }>(TypeUrl.Listener)
          .get('virtualOutbound')?.resource;
        const chain = listener?.filter_chains?.find((c) => c.name === 'virtualOutbound-catchall-tcp');
        return /"cluster":"(\w+)"/.exec(JSON.stringify(chain?.filters ?? []))?.[1];
      },
      ratings: () => json(TypeUrl.Cluster, 'outbound|9080||ratings.default.svc.cluster.local'),
    };
  }

  const minimum = (version: string) => `"tls_minimum_protocol_version":"${version}"`;

  async function debug(path: string): Promise<string> {
    return (await fetch(`http://127.0.0.1:${istiod?.ports.monitoring}${path}`)).text();
  }

  it('serves Istio’s defaults without a MeshConfig: TLS 1.2 minimum inbound, unknown hosts passed through', async () => {
    const sidecar = connect(await start());
    await waitFor(
      () => sidecar.inbound() !== 'null' && sidecar.catchAll() !== undefined && sidecar.ratings() !== 'null',
      10_000,
      () => sidecar.nacks.join(),
    );
    expect(sidecar.inbound()).toContain(minimum('TLSv1_2'));
    expect(sidecar.catchAll()).toBe('PassthroughCluster');
    expect(sidecar.ratings()).toContain('spiffe://cluster.local/ns/default/sa/ratings');
  });

  it('applies meshMTLS, outboundTrafficPolicy and trustDomain of --mesh-config', async () => {
    const file = meshFile(
      'meshMTLS:\n  minProtocolVersion: TLSV1_3\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\ntrustDomain: example.org\n',
    );
    const sidecar = connect(await start(['--mesh-config', file]));
    await waitFor(
      () => sidecar.inbound() !== 'null' && sidecar.ratings() !== 'null',
      10_000,
      () => sidecar.nacks.join(),
    );
    expect(sidecar.nacks).toEqual([]);
    expect(sidecar.inbound()).toContain(minimum('TLSv1_3'));
    expect(sidecar.inbound()).not.toContain(minimum('TLSv1_2'));
    expect(sidecar.catchAll()).toBe('BlackHoleCluster');
    expect(sidecar.ratings()).toContain('spiffe://example.org/ns/default/sa/ratings');
  });

  it('lets --trust-domain win over MeshConfig’s trustDomain', async () => {
    const sidecar = connect(
      await start(['--mesh-config', meshFile('trustDomain: example.org\n'), '--trust-domain', 'flag.org']),
    );
    await waitFor(
      () => sidecar.ratings() !== 'null',
      10_000,
      () => sidecar.nacks.join(),
    );
    expect(sidecar.ratings()).toContain('spiffe://flag.org/ns/default/sa/ratings');
  });

  it('keeps the last good MeshConfig when an edit is invalid, reports it, and applies the next valid one', async () => {
    const file = meshFile('meshMTLS:\n  minProtocolVersion: TLSV1_3\n');
    const running = await start(['--mesh-config', file]);
    const sidecar = connect(running);
    await waitFor(
      () => sidecar.inbound().includes(minimum('TLSv1_3')),
      10_000,
      () => sidecar.nacks.join(),
    );

    writeFileSync(
      file,
      'meshMTLS:\n  minProtocolVersion: TLSV1_3\noutboundTrafficPolicy:\n  mode: DENY_ALL\n',
    );
    await waitFor(
      () => running.meshConfig.status().invalid.length > 0,
      10_000,
      () => 'the invalid edit was not noticed',
    );
    const configz = JSON.parse(await debug('/debug/configz')) as {
      meshConfig: {
        source: string;
        lastGoodKept: boolean;
        invalid: { message: string }[];
        inForce: { meshMTLS?: unknown };
      };
    };
    expect(configz.meshConfig).toMatchObject({
      source: file,
      lastGoodKept: true,
      inForce: { meshMTLS: { minProtocolVersion: 'TLSV1_3' } },
    });
    expect(configz.meshConfig.invalid.map((f) => f.message)).toEqual([
      `Error [SCHEMA_ENUM] (MeshConfig ${file}:4) outboundTrafficPolicy.mode: must be one of REGISTRY_ONLY, ALLOW_ANY`,
    ]);
    expect(await debug('/metrics')).toMatch(/^pilot_config_invalid_resources 1$/m);
    expect(sidecar.inbound()).toContain(minimum('TLSv1_3'));
    expect(sidecar.catchAll()).toBe('PassthroughCluster');

    writeFileSync(file, 'outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n');
    await waitFor(
      () => sidecar.inbound().includes(minimum('TLSv1_2')),
      10_000,
      () => 'the valid edit was not pushed',
    );
    expect(sidecar.catchAll()).toBe('BlackHoleCluster');
    expect(running.meshConfig.status().invalid).toEqual([]);
    expect(await debug('/metrics')).toMatch(/^pilot_config_invalid_resources 0$/m);
  });

  it('refuses to start on an invalid MeshConfig, naming file and line', async () => {
    const file = meshFile('trustDomain: cluster.local\nmeshMTLS:\n  cipherSuites: [NOPE]\n');
    await expect(start(['--mesh-config', file])).rejects.toThrow(MeshConfigError);
    await expect(start(['--mesh-config', file])).rejects.toThrow(
      `(MeshConfig ${file}:3) meshMTLS.cipherSuites[0]: unknown cipher suite "NOPE"`,
    );
  });

  it('reads the istio ConfigMap when no file is given, follows its edits and its deletion', async () => {
    const running = await start([], {
      'mesh-config.yaml': meshConfigMap('meshMTLS:\n  minProtocolVersion: TLSV1_3\n'),
    });
    const sidecar = connect(running);
    await waitFor(
      () => sidecar.inbound().includes(minimum('TLSv1_3')),
      10_000,
      () => sidecar.nacks.join(),
    );
    expect(running.meshConfig.status().source).toBe('ConfigMap istio-system/istio data.mesh');

    const configDir = dirs.at(-2) as string;
    writeFileSync(
      join(configDir, 'mesh-config.yaml'),
      meshConfigMap('outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n'),
    );
    await waitFor(
      () => sidecar.catchAll() === 'BlackHoleCluster' && sidecar.inbound().includes(minimum('TLSv1_2')),
      10_000,
      () => 'the ConfigMap edit was not pushed',
    );

    rmSync(join(configDir, 'mesh-config.yaml'));
    await waitFor(
      () => sidecar.catchAll() === 'PassthroughCluster',
      10_000,
      () => 'the deletion was not pushed',
    );
    expect(running.meshConfig.status().source).toBe('defaults');
  });

  it("reads istio-<rev> for --revision <rev>, as Istio does, and not the default revision's istio", async () => {
    const running = await start(['--revision', 'canary'], {
      'mesh-config.yaml': meshConfigMap('outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n'),
      'canary-mesh-config.yaml': meshConfigMap('meshMTLS: {minProtocolVersion: TLSV1_3}\n').replace(
        'name: istio,',
        'name: istio-canary,',
      ),
    });
    expect(running.meshConfig.status().source).toBe('ConfigMap istio-system/istio-canary data.mesh');
    expect(running.meshConfig.current.meshMTLS).toEqual({ minProtocolVersion: 'TLSV1_3' });
    expect(running.meshConfig.current.outboundTrafficPolicy.mode).toBe('ALLOW_ANY');
  });

  it('prefers --mesh-config over the ConfigMap', async () => {
    const running = await start(['--mesh-config', meshFile('meshMTLS: {minProtocolVersion: TLSV1_3}\n')], {
      'mesh-config.yaml': meshConfigMap('outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n'),
    });
    expect(running.meshConfig.current.meshMTLS).toEqual({ minProtocolVersion: 'TLSV1_3' });
    expect(running.meshConfig.current.outboundTrafficPolicy.mode).toBe('ALLOW_ANY');
  });
});
