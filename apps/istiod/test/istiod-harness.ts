import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { createJoinToken, STATE_FILES } from '@mesh/pki';
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
