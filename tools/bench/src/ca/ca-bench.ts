import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { istiodRootCert, mintJoinToken } from '@mesh/launcher';
import {
  CaClient,
  createCsr,
  createSelfSignedRoot,
  generateKeyPairAsync,
  type KeyAlgorithm,
} from '@mesh/pki';

import { startBenchIstiod } from '../common/bench-istiod.js';
import {
  describeMachine,
  fmt,
  machineFacts,
  markdownTable,
  positiveInteger,
} from '../common/bench-report.js';

export const CA_USAGE =
  'ca [--seconds 3] [--concurrency 16]   workload certificates signed per second, in process and through gRPC';

const IDENTITY = { trustDomain: 'cluster.local', namespace: 'bench', serviceAccount: 'workload' };
const SPIFFE = 'spiffe://cluster.local/ns/bench/sa/workload';
const ALGORITHMS: KeyAlgorithm[] = ['ECDSA_P256', 'RSA_2048'];

async function csrs(algorithm: KeyAlgorithm, count: number): Promise<string[]> {
  const keys = await Promise.all(Array.from({ length: count }, () => generateKeyPairAsync(algorithm)));
  return keys.map((key) => createCsr({ privateKey: key.privateKeyPem, identity: SPIFFE }));
}

/** In process, on this thread only (one core): CSR verification + issuing, as istiod's handler does. */
async function inProcessRate(algorithm: KeyAlgorithm, seconds: number): Promise<number> {
  const ca = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm });
  const requests = await csrs(algorithm, 100);
  for (const csrPem of requests.slice(0, 20)) ca.issueWorkloadCertificate({ csrPem, identity: SPIFFE }); // warm-up
  let issued = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    ca.issueWorkloadCertificate({ csrPem: requests[issued % requests.length] as string, identity: SPIFFE });
    issued++;
  }
  return issued / ((performance.now() - started) / 1000);
}

interface IstiodUnderTest {
  /** istiod's TLS port: the CA is served there only. */
  port: number;
  stateDir: string;
  rootCert: string;
  stop(): Promise<void>;
}

/** The real istiod binary (what `npx istiod` runs), so the numbers include authentication and gRPC. */
async function startIstiod(caAlgorithm: KeyAlgorithm): Promise<IstiodUnderTest> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-ca-'));
  const configDir = mkdtempSync(join(tmpdir(), 'bench-ca-config-'));
  // A plug-in CA of the wanted key type, so RSA is measured with an RSA signing key.
  const caDir = mkdtempSync(join(tmpdir(), 'bench-cacerts-'));
  const files = createSelfSignedRoot({
    trustDomain: 'cluster.local',
    algorithm: caAlgorithm,
  }).toCacertsFiles();
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(caDir, name), content, { mode: 0o600 });
  const removeDirs = () => {
    for (const dir of [stateDir, configDir, caDir]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { istiod, ports } = await startBenchIstiod(
      { configDir, stateDir, caDir },
      { readyTimeoutMs: 20_000 },
    );
    return {
      port: ports.secureXdsPort,
      stateDir,
      rootCert: istiodRootCert({ stateDir, caDir }),
      stop: async () => {
        await istiod.stop();
        removeDirs();
      },
    };
  } catch (err) {
    removeDirs();
    throw err;
  }
}

/** Through the gRPC service with `concurrency` calls in flight, each with a join token. */
async function grpcRate(algorithm: KeyAlgorithm, seconds: number, concurrency: number): Promise<number> {
  const istiod = await startIstiod(algorithm);
  const client = new CaClient({
    address: `127.0.0.1:${istiod.port}`,
    credentials: grpcCredentials.createSsl(readFileSync(istiod.rootCert)),
    channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
  });
  try {
    const { token } = await mintJoinToken(istiod.stateDir, IDENTITY, 3600);
    const requests = await csrs(algorithm, 100);
    const call = async (csr: string): Promise<void> => {
      await client.createCertificate({ csr }, { token });
    };
    await Promise.all(requests.slice(0, concurrency).map(call)); // warm-up
    let issued = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          await call(requests[issued % requests.length] as string);
          issued++;
        }
      }),
    );
    return issued / ((performance.now() - started) / 1000);
  } finally {
    client.close();
    await istiod.stop();
  }
}

export async function runCaBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '16' } },
  });
  const seconds = positiveInteger(values.seconds) ?? 3;
  const concurrency = positiveInteger(values.concurrency) ?? 16;
  console.log(`CA benchmark on ${describeMachine(machineFacts())}`);
  const rows = [];
  for (const algorithm of ALGORITHMS) {
    const inProcess = await inProcessRate(algorithm, seconds);
    const viaGrpc = await grpcRate(algorithm, seconds, concurrency);
    rows.push([algorithm, fmt(inProcess), fmt(viaGrpc), fmt(viaGrpc / inProcess, 2)]);
  }
  console.log(
    markdownTable(
      [
        'key type (CA and workload)',
        'in process (certs/s, 1 core)',
        `gRPC, ${concurrency} in flight (certs/s)`,
        'gRPC / in process',
      ],
      rows,
    ),
  );
  return 0;
}
