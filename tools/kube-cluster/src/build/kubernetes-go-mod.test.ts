import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { GO_MODULES_DIR, requiredVersions } from './go-components.js';
import { currentReleases, kubernetesGoMod, stagingModules } from './kubernetes-go-mod.js';

const committed = readFileSync(join(GO_MODULES_DIR, 'kubernetes', 'go.mod'), 'utf8');

describe('go/kubernetes/go.mod', () => {
  it('is what the generator writes, give or take the requirements `go mod tidy` adds', () => {
    const releases = currentReleases();
    expect(releases).toEqual({ kubernetes: 'v1.36.3', kwok: 'v0.8.0', helm: 'v3.21.4' });
    const replaced = [...committed.matchAll(/^\t(k8s\.io\/\S+) => /gm)].map((m) => m[1] as string);
    const generated = kubernetesGoMod(releases as Required<typeof releases>, replaced);
    // Every line the generator writes outside the require block is in the file, in order.
    const outside = (text: string) => text.replace(/^require \([\s\S]*?^\)$/m, '').split('\n');
    expect(outside(committed)).toEqual(outside(generated));
  });

  it('replaces every staging module by its published release of the same minor and patch', () => {
    const replaced = [...committed.matchAll(/^\t(k8s\.io\/\S+) => (\S+) (\S+)$/gm)];
    expect(replaced.length).toBeGreaterThan(20);
    for (const [, from, to, version] of replaced) expect(`${from} ${version}`).toBe(`${to} v0.36.3`);
    expect(requiredVersions(committed).get('k8s.io/client-go')).toBe('v0.36.3');
  });

  it('finds the staging modules of a release in its go.mod', () => {
    const release =
      'module k8s.io/kubernetes\n\nrequire (\n\tk8s.io/api v0.0.0\n\tk8s.io/utils v0.0.0-2025\n)\n';
    expect(stagingModules(release)).toEqual(['k8s.io/api']);
  });

  it('refuses a version that is not a Kubernetes release', () => {
    expect(() => kubernetesGoMod({ kubernetes: 'v0.36.3', kwok: 'v0.8.0', helm: 'v3.21.4' }, [])).toThrow(
      'not a Kubernetes release: v0.36.3',
    );
  });
});
