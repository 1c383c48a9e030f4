import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  CoreV1Api,
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  KubernetesObjectApi,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { apiStatusOf, isNotFound, loadKubeConfig } from '../src/index.js';
import { RetryingHttpLibrary } from '../src/retrying-http-library.js';

/**
 * The API clients made from `loadKubeConfig` against a loopback server that answers as kube-apiserver
 * does while a just established CRD's watch cache fills (429 "storage is (re)initializing" with
 * Retry-After) or while it is overloaded (503): every kind of call — typed list, KubernetesObjectApi's
 * server-side apply — is sent again after the wait and then succeeds; other failures are not retried.
 */

interface Seen {
  method: string;
  url: string;
  body: string;
}

const status = (code: number, reason: string, message: string, retryAfterSeconds?: number) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(retryAfterSeconds === undefined ? {} : { details: { retryAfterSeconds } }),
  });

const STORAGE_INITIALIZING = status(429, 'TooManyRequests', 'storage is (re)initializing', 1);

const API_V1_RESOURCES = JSON.stringify({
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['get', 'patch'] }],
});

let server: Server;
let dir: string;
let kubeconfig: string;
let url: string;
/** The answers to give, in order; once used up, every request gets `fallback`. */
let script: { code: number; body: string }[];
let fallback: { code: number; body: string };
let seen: Seen[];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      // KubernetesObjectApi's discovery of the ConfigMap resource.
      if (req.url === '/api/v1') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(API_V1_RESOURCES);
        return;
      }
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const answer = script.shift() ?? fallback;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (answer.code === 429 || answer.code === 503) headers['retry-after'] = '1';
      res.writeHead(answer.code, headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'mesh-retrying-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'test' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  script = [];
  seen = [];
  fallback = { code: 200, body: JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', items: [] }) };
});

describe('API clients from loadKubeConfig', () => {
  it('send a list again after a 429 "storage is (re)initializing" and return its answer', async () => {
    script = [{ code: 429, body: STORAGE_INITIALIZING }];
    const list = await loadKubeConfig({ kubeconfig }).makeApiClient(CoreV1Api).listNamespace();
    expect(list.items).toEqual([]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/v1/namespaces',
      'GET /api/v1/namespaces',
    ]);
  });

  it("retry KubernetesObjectApi's server-side apply after a 503, with the same body", async () => {
    script = [
      {
        code: 503,
        body: status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'),
      },
    ];
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } };
    fallback = { code: 200, body: JSON.stringify(configMap) };
    const objects = KubernetesObjectApi.makeApiClient(loadKubeConfig({ kubeconfig }));
    await objects.patch(configMap, undefined, undefined, 'meshctl', true, 'application/apply-patch+yaml');
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]!.method).toBe('PATCH');
    expect(JSON.parse(seen[0]!.body)).toEqual(configMap);
  });

  it('do not retry other failures: a 404 is thrown at once', async () => {
    fallback = { code: 404, body: status(404, 'NotFound', 'namespaces "x" not found') };
    const error = await loadKubeConfig({ kubeconfig })
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: 'x' })
      .catch((err: unknown) => err);
    expect(isNotFound(error)).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it("give the caller the API server's 429 Status once the retry budget is spent", async () => {
    fallback = { code: 429, body: STORAGE_INITIALIZING };
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(url, {}),
      httpApi: new RetryingHttpLibrary(new IsomorphicFetchHttpLibrary(), 0),
    });
    const error = await new CoreV1Api(configuration).listNamespace().catch((err: unknown) => err);
    expect(apiStatusOf(error)).toMatchObject({ code: 429, message: 'storage is (re)initializing' });
    expect(seen).toHaveLength(1);
  });
});
