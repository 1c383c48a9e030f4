import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ApisApi, CoreApi, CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestApiServer, type TestApiServer } from '../src/test-server/index.js';

/**
 * Discovery through client-node, and the raw protocol through `curl` — a client nobody here wrote:
 * HTTPS verified against the server's CA, bearer tokens, JSON and YAML bodies, Status errors,
 * server-side apply and a chunked watch stream.
 */
const run = promisify(execFile);
let server: TestApiServer;
let dir: string;

beforeAll(async () => {
  server = await startTestApiServer({ kubernetesVersion: '1.31.4' });
  dir = mkdtempSync(join(tmpdir(), 'mesh-kube-'));
  writeFileSync(join(dir, 'ca.pem'), server.caPem);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** curl against the server; resolves with the HTTP code and the body. */
async function curl(
  path: string,
  options: { token?: string | null; args?: string[] } = {},
): Promise<{ code: number; body: string }> {
  const token = options.token === undefined ? server.adminToken : options.token;
  const args = ['-sS', '--cacert', join(dir, 'ca.pem'), '-w', '\n%{http_code}', ...(options.args ?? [])];
  if (token) args.push('-H', `Authorization: Bearer ${token}`);
  const { stdout } = await run('curl', [...args, `${server.url}${path}`]);
  const split = stdout.lastIndexOf('\n');
  return { code: Number(stdout.slice(split + 1)), body: stdout.slice(0, split) };
}

describe('discovery', () => {
  it('reports the configured version', async () => {
    const version = await server.kubeConfig().makeApiClient(VersionApi).getCode();
    expect(version).toMatchObject({ major: '1', minor: '31', gitVersion: 'v1.31.4' });
  });

  it('lists the core version and its resources with kinds, verbs and subresources', async () => {
    const kc = server.kubeConfig();
    expect((await kc.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);
    const resources = (await kc.makeApiClient(CoreV1Api).getAPIResources()).resources;
    expect(resources.find((r) => r.name === 'pods')).toMatchObject({
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      shortNames: ['po'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    });
    expect(resources.find((r) => r.name === 'pods/status')).toMatchObject({
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    });
    expect(resources.find((r) => r.name === 'serviceaccounts/token')).toMatchObject({
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
    expect(resources.find((r) => r.name === 'namespaces')).toMatchObject({ namespaced: false });
  });

  it('lists the groups the mesh needs, each with its preferred version', async () => {
    const groups = (await server.kubeConfig().makeApiClient(ApisApi).getAPIVersions()).groups;
    expect(groups.map((g) => g.name)).toEqual(
      expect.arrayContaining([
        'apps',
        'discovery.k8s.io',
        'admissionregistration.k8s.io',
        'apiextensions.k8s.io',
        'authentication.k8s.io',
        'coordination.k8s.io',
      ]),
    );
    expect(groups.find((g) => g.name === 'discovery.k8s.io')?.preferredVersion).toEqual({
      groupVersion: 'discovery.k8s.io/v1',
      version: 'v1',
    });
    const slices = await curl('/apis/discovery.k8s.io/v1');
    expect(JSON.parse(slices.body)).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'discovery.k8s.io/v1',
    });
  });

  it('answers 404 with a Status for an unknown group', async () => {
    const { code, body } = await curl('/apis/nothing.example.com/v1');
    expect(code).toBe(404);
    expect(JSON.parse(body)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
    });
  });
});

describe('the raw protocol, spoken by curl', () => {
  it('needs a bearer token except for health and version', async () => {
    const denied = await curl('/api/v1/namespaces', { token: null });
    expect(denied.code).toBe(401);
    expect(JSON.parse(denied.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(await curl('/readyz', { token: null })).toEqual({ code: 200, body: 'ok' });
    expect((await curl('/version', { token: null })).code).toBe(200);
  });

  it('serves typed lists without per-item kind, as kube-apiserver does', async () => {
    const { code, body } = await curl('/api/v1/namespaces');
    expect(code).toBe(200);
    const list = JSON.parse(body) as { kind: string; items: Record<string, unknown>[] };
    expect(list.kind).toBe('NamespaceList');
    expect(list.items[0]).not.toHaveProperty('kind');
  });

  it('creates from YAML and applies server-side with a field manager', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-curl\ndata:\n  k: v\n';
    const created = await curl('/api/v1/namespaces/default/configmaps', {
      args: ['-X', 'POST', '-H', 'Content-Type: application/yaml', '--data-binary', yaml],
    });
    expect(created.code).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ kind: 'ConfigMap', data: { k: 'v' } });
    const applied = await curl('/api/v1/namespaces/default/configmaps/from-curl?fieldManager=curl', {
      args: [
        '-X',
        'PATCH',
        '-H',
        'Content-Type: application/apply-patch+yaml',
        '--data-binary',
        yaml.replace('k: v', 'k: w'),
      ],
    });
    expect(applied.code).toBe(200);
    expect(JSON.parse(applied.body)).toMatchObject({ data: { k: 'w' } });
  });

  it('streams a watch as newline-delimited JSON events until timeoutSeconds', async () => {
    const core = server.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' } } });
    const { code, body } = await curl(
      '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dwatched',
    );
    expect(code).toBe(200);
    const events = body
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { type: string; object: { kind: string; metadata: { name: string } } },
      );
    expect(events.map((e) => [e.type, e.object.kind, e.object.metadata.name])).toEqual([
      ['ADDED', 'ConfigMap', 'watched'],
    ]);
  });
});
