import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { CaClient, createCsr, generateKeyPair, parseCertificate, STATE_FILES } from '@mesh/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { meshctl, startIstiodProcess, type IstiodProcess } from './processes.js';

/**
 * A caller with a valid join token sends istiod's CA a 3 MB CSR built to make a backtracking PEM
 * regular expression scan the whole input once per BEGIN line (minutes of CPU on the event loop that
 * also serves xDS and `/ready`). istiod must refuse it at once, naming the limit, and stay responsive.
 */

const dirs = [mkdtempSync(join(tmpdir(), 'e2e-state-')), mkdtempSync(join(tmpdir(), 'e2e-config-'))];
const [stateDir, configDir] = dirs as [string, string];
let istiod: IstiodProcess;
let token: string;

beforeAll(async () => {
  const created = meshctl([
    'local',
    'token',
    'create',
    '-n',
    'shop',
    '--sa',
    'checkout',
    '--state-dir',
    stateDir,
  ]);
  expect(created.status).toBe(0);
  token = created.stdout.trim();
  istiod = await startIstiodProcess({ configDir, stateDir });
});

afterAll(async () => {
  await istiod?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A CreateCertificate call as a sidecar makes it: TLS to 15012, trusting the root in the state dir. */
async function createCertificate(csr: string): Promise<{ chain?: string[]; error?: ServiceError }> {
  const client = new CaClient({
    address: `127.0.0.1:${istiod.ports.secureXdsPort}`,
    credentials: credentials.createSsl(readFileSync(join(stateDir, STATE_FILES.rootCert))),
    channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc' },
  });
  try {
    return { chain: await client.createCertificate({ csr }, { token }) };
  } catch (err) {
    return { error: err as ServiceError };
  } finally {
    client.close();
  }
}

/** Polls `/ready` every 20 ms until `done` settles; each answer's status and delay since it was asked. */
async function pollReady(done: Promise<unknown>): Promise<{ status: number; ms: number }[]> {
  const answers: { status: number; ms: number }[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  do {
    const asked = performance.now();
    const response = await fetch(`http://127.0.0.1:${istiod.ports.monitoringPort}/ready`, {
      signal: AbortSignal.timeout(5000),
    });
    answers.push({ status: response.status, ms: performance.now() - asked });
    await new Promise((r) => setTimeout(r, 20));
  } while (!finished);
  return answers;
}

it('refuses a 3 MB CSR within 2 s, naming the limit, while /ready keeps answering', async () => {
  const pathological = '-----BEGIN A-----'.repeat(180_000);
  expect(pathological.length).toBeGreaterThan(3_000_000);
  const started = performance.now();
  const call = createCertificate(pathological).then((outcome) => ({
    ...outcome,
    ms: performance.now() - started,
  }));
  const [outcome, ready] = await Promise.all([call, pollReady(call)]);

  expect(outcome.error?.code).toBe(status.INVALID_ARGUMENT);
  expect(outcome.error?.details).toContain('above the limit of 65536 bytes');
  expect(outcome.ms).toBeLessThan(2000);
  expect(ready.length).toBeGreaterThan(0);
  for (const answer of ready) {
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(2000);
  }
});

it('still signs an ordinary CSR afterwards', async () => {
  const identity = 'spiffe://cluster.local/ns/shop/sa/checkout';
  const { chain, error } = await createCertificate(
    createCsr({ privateKey: generateKeyPair().privateKeyPem, identity }),
  );
  expect(error).toBeUndefined();
  expect(parseCertificate(chain![0]!).uris).toEqual([identity]);
});
