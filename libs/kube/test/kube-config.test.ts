import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isKubeError, loadKubeConfig } from '../src/index.js';
import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';

/** `loadKubeConfig` with kubectl's `--kubeconfig`/`--context` semantics, against a live server. */
let server: TestApiServer;
let dir: string;
let path: string;

beforeAll(async () => {
  server = await startTestApiServer();
  dir = mkdtempSync(join(tmpdir(), 'mesh-kubeconfig-'));
  path = join(dir, 'config');
  writeFileSync(path, server.kubeConfigYaml());
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('loadKubeConfig', () => {
  it('loads a kubeconfig file whose CA and token reach the server', async () => {
    const config = loadKubeConfig({ kubeconfig: path, context: 'mesh-test' });
    expect(config.getCurrentCluster()?.server).toBe(server.url);
    const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((ns) => ns.metadata?.name)).toContain('default');
  });

  it('refuses a context the file does not have', () => {
    let caught: unknown;
    try {
      loadKubeConfig({ kubeconfig: path, context: 'prod' });
    } catch (error) {
      caught = error;
    }
    expect(isKubeError(caught, 'KUBE_INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toBe(
      'context "prod" does not exist in the kubeconfig (known: mesh-test)',
    );
  });
});
