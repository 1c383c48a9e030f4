import { rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';

import { applyJsonPatch } from '@mesh/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestIstiod, tempDir } from './istiod-harness.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { MAX_BODY_BYTES } from '../src/webhook/webhook-server.js';
import { parseIstiodOptions } from '../src/options.js';

/**
 * istiod's webhook port with `--webhook-port 0` and no cluster: HTTPS with istiod's serving
 * certificate (checked against its root for 127.0.0.1 and the Service names), `/inject` and
 * `/validate` answering AdmissionReview v1, and the bounds on what a caller may send.
 */

let istiod: RunningIstiod;
const stateDir = tempDir('istiod-webhook-');
let root: string;

beforeAll(async () => {
  istiod = await startTestIstiod(stateDir, ['--webhook-port', '0']);
  root = istiod.ca.trustBundle.toPem();
});
afterAll(async () => {
  await istiod?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function post(path: string, body: string | Buffer, contentType = 'application/json') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: istiod.ports.webhook!,
        path,
        method: 'POST',
        ca: root,
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const review = (kind: string, object: unknown, operation = 'CREATE', namespace = 'default') =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', kind: { group: '', version: 'v1', kind }, namespace, operation, object },
  });

const pod = (annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations },
  spec: { containers: [{ name: 'web', image: 'nginx' }] },
});

describe('istiod webhook server', () => {
  it.each(['127.0.0.1', 'istiod.istio-system.svc', 'istiod.istio-system.svc.cluster.local'])(
    'serves a certificate valid for %s, issued by the mesh root',
    async (name) => {
      const socket = connect({
        host: '127.0.0.1',
        port: istiod.ports.webhook!,
        ca: root,
        ...(name === '127.0.0.1' ? {} : { servername: name }),
      });
      await new Promise<void>((resolve, reject) =>
        socket.once('secureConnect', resolve).once('error', reject),
      );
      expect(socket.authorized).toBe(true);
      socket.destroy();
    },
  );

  it('/inject answers with a JSON Patch that injects the sidecar', async () => {
    const res = await post('/inject', review('Pod', pod()));
    expect(res.status).toBe(200);
    const { response } = JSON.parse(res.body);
    expect(response).toMatchObject({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    const patched = applyJsonPatch(pod(), JSON.parse(Buffer.from(response.patch, 'base64').toString()));
    expect(patched.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web', 'istio-proxy']);
  });

  it('/inject allows an opted-out pod unchanged, and refuses an invalid annotation by name', async () => {
    const optedOut = JSON.parse(
      (await post('/inject', review('Pod', pod({ 'sidecar.istio.io/inject': 'false' })))).body,
    );
    expect(optedOut.response).toEqual({ uid: 'u-1', allowed: true });
    const bad = JSON.parse(
      (await post('/inject', review('Pod', pod({ 'traffic.sidecar.istio.io/excludeInboundPorts': 'x' }))))
        .body,
    );
    expect(bad.response.allowed).toBe(false);
    expect(bad.response.status.message).toMatch(/traffic\.sidecar\.istio\.io\/excludeInboundPorts="x"/);
  });

  it('/validate refuses an invalid VirtualService with the field path and allows a valid one', async () => {
    const vs = (weight: number) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight }] }] },
    });
    const invalid = JSON.parse((await post('/validate', review('VirtualService', vs(-1)))).body);
    expect(invalid.response.allowed).toBe(false);
    expect(invalid.response.status.message).toMatch(
      /^configuration is invalid: spec\.http\[0\]\.route\[0\]\.weight/,
    );
    const valid = JSON.parse((await post('/validate', review('VirtualService', vs(100)))).body);
    expect(valid.response).toMatchObject({ allowed: true });
  });

  it('/validate reads an EnvoyFilter patch value as the Envoy message of applyTo, as Istio does', async () => {
    const filter = (value: Record<string, unknown>) => ({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: { name: 'cluster-patch', namespace: 'default' },
      spec: { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'ADD', value } }] },
    });
    const invalid = JSON.parse(
      (await post('/validate', review('EnvoyFilter', filter({ connect_timeout: 5 })))).body,
    );
    expect(invalid.response.allowed).toBe(false);
    expect(invalid.response.status.message).toMatch(
      /^configuration is invalid: spec\.configPatches\[0\]\.patch\.value\.connect_timeout: Envoy filter: expected a duration/,
    );
    const valid = JSON.parse(
      (await post('/validate', review('EnvoyFilter', filter({ connect_timeout: '5s' })))).body,
    );
    expect(valid.response).toMatchObject({ allowed: true });
  });

  it.each([
    ['/inject', 'not json', 400, /not JSON/],
    [
      '/inject',
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        request: { uid: 'x' },
      }),
      400,
      /only admission\.k8s\.io\/v1/,
    ],
    ['/nowhere', '{}', 404, /not found/],
  ])('%s with %j is refused with %d', async (path, body, status, message) => {
    const res = await post(path, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatch(message);
  });

  it('refuses a body above the limit (413) and a non-JSON content type (415)', async () => {
    expect((await post('/inject', Buffer.alloc(MAX_BODY_BYTES + 1, 0x20))).status).toBe(413);
    expect((await post('/validate', '{}', 'text/plain')).status).toBe(415);
  });
});

describe('--webhook-port and --revision', () => {
  const parse = (...args: string[]) =>
    parseIstiodOptions(['--config-dir', stateDir, '--state-dir', stateDir, ...args]);
  it("is Istio's 15017 for an istiod working for a cluster, off otherwise unless asked", () => {
    expect(parse().webhookPort).toBeNull();
    expect(parse('--kubeconfig', '/dev/null').webhookPort).toBe(15017);
    expect(parse('--kubeconfig', '/dev/null', '--webhook-port', 'off').webhookPort).toBeNull();
    expect(parse('--webhook-port', '0').webhookPort).toBe(0);
  });
  it('refuses a revision that cannot name a Service', () => {
    expect(parse('--revision', 'canary').revision).toBe('canary');
    expect(() => parse('--revision', 'Canary_1')).toThrow(/--revision: "Canary_1" is not a DNS label/);
  });
});
