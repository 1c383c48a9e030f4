import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { meshFromFiles } from '../src/diagnose/diagnose-mesh.js';
import { renderTlsCheck } from '../src/diagnose/render-tls-check.js';
import { tlsCheckResult } from '../src/diagnose/tls-check-result.js';

/**
 * tls-check on a workload checks every instance: a Sidecar selecting one instance's labels gives it
 * other clusters, and the check says where the instances disagree.
 */

const dir = mkdtempSync(join(tmpdir(), 'meshctl-tls-check-instances-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, app: string, version: string, ip: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  labels: { app: ${app}, version: ${version}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: ${app}
  containers: [{ name: app, image: app, ports: [{ containerPort: 8080 }] }]
status: { podIP: ${ip} }
`;

const MESH = `apiVersion: v1
kind: Service
metadata: { name: backend, namespace: default }
spec:
  clusterIP: 10.96.0.30
  selector: { app: backend }
  ports: [{ name: http, port: 8080 }]
---
${pod('backend-0', 'backend', 'v1', '10.0.0.30')}---
${pod('frontend-0', 'frontend', 'v1', '10.0.0.10')}---
${pod('frontend-1', 'frontend', 'v2', '10.0.0.11')}`;

const V2_SEES_NOTHING = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: frontend-v2, namespace: default }
spec:
  workloadSelector: { labels: { app: frontend, version: v2 } }
  egress: [{ hosts: [istio-system/*] }]
`;

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('tls-check on every instance of a workload', () => {
  it('says nothing more when the instances agree', async () => {
    const result = await tlsCheckResult(await meshFromFiles([write('mesh.yaml', MESH)]), 'frontend', {});
    expect(result.disagreements).toBeUndefined();
  });

  it('reports the instance whose Sidecar leaves out the service the first one checks', async () => {
    const files = [write('mesh.yaml', MESH), write('sidecar.yaml', V2_SEES_NOTHING)];
    const result = await tlsCheckResult(await meshFromFiles(files), 'frontend', {});
    expect(result.instance).toBe('frontend-0');
    expect(result.disagreements).toEqual([
      {
        instance: 'frontend-1',
        differences: ['backend.default.svc.cluster.local:8080: not in its config (frontend-0: OK AUTO)'],
      },
    ]);
    expect(renderTlsCheck(result, 'table').split('\n').at(-1)).toBe(
      'DISAGREES frontend-1: backend.default.svc.cluster.local:8080: not in its config (frontend-0: OK AUTO)',
    );
    const one = await tlsCheckResult(await meshFromFiles(files), 'frontend-1', {});
    expect(one.disagreements).toBeUndefined();
  });
});
