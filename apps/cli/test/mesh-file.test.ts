import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { MeshFileError, parseMeshFile } from '../src/local/mesh-file.js';

/** The LocalMesh file: defaults, the bookinfo example, and every problem reported with file:line. */

const REPO = join(import.meta.dirname, '..', '..', '..');

describe('parseMeshFile', () => {
  it('reads the bookinfo example with its defaults applied', () => {
    const file = join(REPO, 'examples', 'bookinfo-local', 'mesh.yaml');
    const mesh = parseMeshFile(readFileSync(file, 'utf8'), file);
    expect(mesh.name).toBe('bookinfo');
    expect(mesh.trustDomain).toBe('cluster.local');
    expect(mesh.config).toEqual([join(REPO, 'examples', 'bookinfo-local', 'config')]);
    const reviews = mesh.workloads.find((w) => w.name === 'reviews-v2');
    expect(reviews).toMatchObject({
      namespace: 'default',
      serviceAccount: 'bookinfo-reviews',
      labels: { app: 'reviews', version: 'v2' },
      ports: [9080],
      replicas: 1,
      sidecar: true,
    });
    expect(mesh.workloads.find((w) => w.name === 'outsider')?.sidecar).toBe(false);
    expect(mesh.workloads.find((w) => w.name === 'client')?.serviceAccount).toBe('client');
  });

  it('reports every problem with its line and field path', () => {
    const text = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: bad }
spec:
  workloads:
    - name: Bad_Name
      command: node
      ports: [8080, 15001]
      replicas: -1
    - name: ok
      command: [node, app.mjs]
      sidecar: maybe
`;
    let error: unknown;
    try {
      parseMeshFile(text, 'mesh.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MeshFileError);
    const lines = (error as MeshFileError).message.split('\n');
    expect(lines).toEqual([
      'mesh.yaml:6 spec.workloads[0].name: must be a DNS label (a-z, 0-9, -)',
      'mesh.yaml:7 spec.workloads[0].command: must be a non-empty list of strings (argv)',
      "mesh.yaml:8 spec.workloads[0].ports: 15000-15090 are the sidecar's own ports",
      'mesh.yaml:9 spec.workloads[0].replicas: must be an integer from 0 to 20',
      'mesh.yaml:12 spec.workloads[1].sidecar: must be true or false',
    ]);
  });

  it('rejects a file that is not a LocalMesh', () => {
    expect(() => parseMeshFile('apiVersion: v1\nkind: Service\nmetadata: { name: x }\n', 'x.yaml')).toThrow(
      /x.yaml:1 kind: no LocalMesh document/,
    );
  });
});
