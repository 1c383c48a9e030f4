import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { MeshFileError, parseMeshFile, type ProgramCheck } from '../src/local/mesh-file.js';
import { cannotRunProgram } from '../src/local/prerequisites.js';

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

  it('reports unknown fields, with the known one a typo away', () => {
    const text = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: typos, lables: { a: b } }
spec:
  trustdomain: example.org
  workloads:
    - name: web
      lables: { app: web }
      command: [node, web.mjs]
      port: 8080
      restart: always
`;
    expect(problemsOf(text)).toEqual([
      'mesh.yaml:3 metadata.lables: unknown field "lables"; did you mean "labels"?',
      'mesh.yaml:5 spec.trustdomain: unknown field "trustdomain"; did you mean "trustDomain"?',
      'mesh.yaml:8 spec.workloads[0].lables: unknown field "lables"; did you mean "labels"?',
      'mesh.yaml:10 spec.workloads[0].port: unknown field "port"; did you mean "ports"?',
      'mesh.yaml:11 spec.workloads[0].restart: unknown field "restart"',
    ]);
  });

  it('refuses the same workload name twice, in any namespaces', () => {
    const text = `apiVersion: local.meshctl.dev/v1alpha1
kind: LocalMesh
metadata: { name: twice }
spec:
  workloads:
    - name: web
      namespace: a
      command: [node, web.mjs]
    - name: web
      namespace: b
      command: [node, web.mjs]
`;
    expect(problemsOf(text)).toEqual([
      'mesh.yaml:9 spec.workloads[1].name: duplicate workload name "web" (also spec.workloads[0], line 6): ' +
        'instances, logs and tokens are named after it, so names are unique across namespaces',
    ]);
  });

  describe('with the programs checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-file-programs-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'data.txt'), 'not a program\n', { mode: 0o644 });
    const meshFile = join(dir, 'mesh.yaml');
    const mesh = (...commands: string[]) =>
      `apiVersion: local.meshctl.dev/v1alpha1\nkind: LocalMesh\nmetadata: { name: p }\nspec:\n  workloads:\n` +
      commands.map((c, i) => `    - name: w${i}\n      command: [${c}]\n`).join('');

    it('accepts node, a program on PATH and an executable file beside the mesh file', () => {
      const parsed = parseMeshFile(mesh('node', 'sh', './run.sh'), meshFile, cannotRunProgram);
      expect(parsed.workloads.map((w) => w.command[0])).toEqual(['node', 'sh', './run.sh']);
    });

    it('reports a program that is missing or cannot be run, with its line, before anything starts', () => {
      expect(
        problemsOf(mesh('no-such-program-13', './missing.sh', './data.txt'), meshFile, cannotRunProgram),
      ).toEqual([
        `${meshFile}:7 spec.workloads[0].command: "no-such-program-13" is not found on PATH`,
        `${meshFile}:9 spec.workloads[1].command: ${join(dir, 'missing.sh')} does not exist`,
        `${meshFile}:11 spec.workloads[2].command: ${join(dir, 'data.txt')} cannot be executed (EACCES)`,
      ]);
    });
  });
});

function problemsOf(text: string, file = 'mesh.yaml', checkProgram?: ProgramCheck): string[] {
  try {
    parseMeshFile(text, file, checkProgram);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshFileError);
    return (err as MeshFileError).message.split('\n');
  }
  throw new Error('no problem reported');
}
