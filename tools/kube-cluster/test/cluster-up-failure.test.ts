import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { buildAll } from '../src/build/go-build.js';
import { kubernetesVersion } from '../src/build/go-components.js';
import { up } from '../src/cluster/cluster-up.js';
import { processStartTime } from '../src/cluster/processes.js';
import { CLUSTER_HOOK_TIMEOUT_MS } from './run.js';

/** `up` that cannot finish leaves nothing running behind it and says why. */
describe('cluster up that fails half-way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-cluster-failure-'));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'stops etcd and the API server it already started when a later component cannot start',
    async () => {
      const built = await buildAll();
      const files = new Map(built).set('kube-scheduler', join(dir, 'no-such-scheduler'));
      const started: string[] = [];
      const log = (line: string) =>
        started.push(...(/^started (\S+) \(pid (\d+)\)/.exec(line)?.slice(1, 3) ?? []));
      await expect(up({ dir, files, kubernetesVersion: kubernetesVersion(), log })).rejects.toThrow(
        `kube-scheduler cannot be started: ${join(dir, 'no-such-scheduler')} is missing or not executable`,
      );
      const state = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { components: unknown[] };
      expect(state.components).toEqual([]);
      // It had started etcd, kube-apiserver and kube-controller-manager; none of them is left.
      const names = started.filter((_, i) => i % 2 === 0);
      const pids = started.filter((_, i) => i % 2 === 1).map(Number);
      expect(names).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
      expect(pids.filter((pid) => processStartTime(pid) !== undefined)).toEqual([]);
    },
    CLUSTER_HOOK_TIMEOUT_MS,
  );
});
