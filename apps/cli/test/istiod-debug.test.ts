import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DiagnoseError, EXIT } from '../src/diagnose/diagnose-mesh.js';
import { envoyDumpOfServed, istiodDebugGet } from '../src/diagnose/istiod-debug.js';
import { clusterSummary } from '../src/diagnose/proxy-config.js';

/**
 * How proxy-status and proxy-config ask istiod's debug endpoints: the bearer token of
 * --istiod-token-file when given, and a refusal that says how to be let in.
 */

const TOKEN = 'a-service-account-token';
const dir = mkdtempSync(join(tmpdir(), 'meshctl-istiod-debug-'));
// As istiod's debugAuthorization answers a caller it does not let in.
const istiod = createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${TOKEN}`)
    res
      .writeHead(401)
      .end('debug endpoints answer loopback callers, or a bearer token of the istio namespace');
  else res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
});
let address = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => istiod.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(istiod.address() as AddressInfo).port}`;
});
afterAll(() => {
  istiod.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('istiodDebugGet', () => {
  it('sends the token of --istiod-token-file', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    expect(await istiodDebugGet({ address, tokenFile }, '/debug/syncz')).toEqual([]);
  });

  it('says why istiod refused, and how to be let in (exit 1)', async () => {
    const refusal = istiodDebugGet({ address }, '/debug/syncz');
    await expect(refusal).rejects.toThrow(
      `istiod refused ${address}/debug/syncz (401: debug endpoints answer loopback callers, or a bearer ` +
        'token of the istio namespace): its debug endpoints answer loopback callers, or --istiod-token-file ' +
        'with a service-account token of its namespace',
    );
    await expect(refusal).rejects.toBeInstanceOf(DiagnoseError);
    await expect(refusal).rejects.toMatchObject({ exit: EXIT.found });
  });

  it('refuses an address that is not one', async () => {
    await expect(istiodDebugGet({ address: 'http://[nope' }, '/debug/syncz')).rejects.toThrow(
      '--istiod: "http://[nope" is not an address like http://HOST:15014',
    );
  });
});

describe('envoyDumpOfServed', () => {
  it("gives istiod's served clusters the shape proxy-config summarizes", () => {
    const dump = envoyDumpOfServed({
      configs: {
        CDS: [
          {
            name: 'outbound|8080||backend.default.svc.cluster.local',
            resource: { name: 'outbound|8080||backend.default.svc.cluster.local', type: 'EDS' },
          },
        ],
      },
    });
    expect(clusterSummary(dump as Record<string, unknown>).rows).toEqual([
      expect.objectContaining({ 'SERVICE FQDN': 'backend.default.svc.cluster.local', PORT: '8080' }),
    ]);
  });
});
