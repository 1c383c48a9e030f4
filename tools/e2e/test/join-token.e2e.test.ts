import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CaClient, createCsr, generateKeyPair, parseCertificate } from '@mesh/pki';
import { afterAll, expect, it } from 'vitest';

import { meshctl, startIstiodProcess } from './processes.js';

const dirs = [mkdtempSync(join(tmpdir(), 'e2e-state-')), mkdtempSync(join(tmpdir(), 'e2e-config-'))];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

it('a token from `meshctl local token create` gets a workload certificate from `istiod` on the same state dir', async () => {
  const [state, config] = dirs as [string, string];
  // The token is minted offline, before istiod ever ran on this state directory.
  const created = meshctl([
    'local',
    'token',
    'create',
    '-n',
    'shop',
    '--sa',
    'checkout',
    '--state-dir',
    state,
  ]);
  expect(created.status).toBe(0);
  const token = created.stdout.trim();

  const istiod = await startIstiodProcess(['--config-dir', config, '--state-dir', state]);
  try {
    const client = new CaClient({ address: `127.0.0.1:${istiod.ports.xdsPort}` });
    const identity = 'spiffe://cluster.local/ns/shop/sa/checkout';
    const csr = createCsr({ privateKey: generateKeyPair().privateKeyPem, identity });
    const chain = await client.createCertificate({ csr }, { token });
    client.close();
    expect(parseCertificate(chain[0]!).uris).toEqual([identity]);
  } finally {
    expect(await istiod.stop()).toBe(0);
  }
});
