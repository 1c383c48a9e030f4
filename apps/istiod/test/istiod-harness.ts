import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { createCsr, createJoinToken, generateKeyPair, STATE_FILES } from '@mesh/pki';
import { AdsClient, TypeUrl, type JsonValue } from '@mesh/xds';
import { pino } from 'pino';

import { parseIstiodOptions } from '../src/options.js';
import { startIstiod, type RunningIstiod } from '../src/server/istiod.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts istiod in this process on loopback with free ports. */
export async function startTestIstiod(stateDir: string, extraArgs: string[] = []): Promise<RunningIstiod> {
  const configDir = tempDir('istiod-config-');
  const options = parseIstiodOptions([
    '--config-dir',
    configDir,
    '--state-dir',
    stateDir,
    '--listen-address',
    '127.0.0.1',
    '--xds-port',
    '0',
    '--secure-xds-port',
    '0',
    '--monitoring-port',
    '0',
    ...extraArgs,
  ]);
  const running = await startIstiod(options, pino({ level: 'silent' }));
  return {
    ...running,
    close: async () => {
      await running.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** A join token for `ns/sa`, signed with the key in the state directory, as `meshctl local token create` makes. */
export async function joinToken(
  stateDir: string,
  namespace: string,
  serviceAccount: string,
  ttlSeconds = 3600,
  now?: Date,
): Promise<string> {
  return createJoinToken({
    signingKeyPem: readFileSync(join(stateDir, STATE_FILES.joinTokenKey), 'utf8'),
    identity: { trustDomain: 'cluster.local', namespace, serviceAccount },
    ttlSeconds,
    now,
  });
}

/**
 * How a workload reaches istiod's CA: the TLS port, trusting istiod's roots (as mesh-proxy does with
 * `--ca-root-cert`) and checking the name on istiod's serving certificate.
 */
export function caEndpoint(istiod: RunningIstiod): {
  address: string;
  credentials: ChannelCredentials;
  serverName: string;
} {
  return {
    address: `127.0.0.1:${istiod.ports.secureXds}`,
    credentials: grpcCredentials.createSsl(Buffer.from(istiod.ca.trustBundle.toPem())),
    serverName: 'istiod.istio-system.svc',
  };
}

export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * An ADS client of `istiod` subscribed to clusters: on the plaintext port, or over mTLS with a
 * certificate istiod's CA issued for `identity` (`ns/<namespace>/sa/<account>`), as a sidecar connects.
 */
export function workloadAdsClient(
  istiod: RunningIstiod,
  node: { id: string; metadata: Record<string, JsonValue> },
  identity?: string,
): AdsClient {
  let secure = {};
  if (identity) {
    const key = generateKeyPair();
    const spiffe = `spiffe://cluster.local/${identity}`;
    const issued = istiod.ca.issueWorkloadCertificate({
      csrPem: createCsr({ privateKey: key.privateKeyPem, identity: spiffe }),
      identity: spiffe,
      ttlSeconds: 3600,
    });
    secure = {
      credentials: grpcCredentials.createSsl(
        Buffer.from(istiod.ca.trustBundle.toPem()),
        Buffer.from(key.privateKeyPem),
        Buffer.from(issued.chainPem.slice(0, -1).join('')),
      ),
      channelOptions: {
        'grpc.ssl_target_name_override': 'istiod.istio-system.svc',
        // Each test client its own connection, as separate proxies have.
        'grpc.use_local_subchannel_pool': 1,
      },
    };
  }
  const port = identity ? istiod.ports.secureXds : istiod.ports.xds;
  const client = new AdsClient({ target: `127.0.0.1:${port}`, node, ...secure });
  client.subscribe(TypeUrl.Cluster);
  client.start();
  return client;
}
