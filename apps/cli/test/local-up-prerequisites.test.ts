import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { explicitModeProblems, onPath, transparentModeProblems } from '../src/local/prerequisites.js';

/**
 * `meshctl local up` checks what it needs of the machine before it starts anything: a missing tool or
 * privilege is its error, at once, with the command that fixes it — not istiod started, then a failure
 * seconds later with the reason in a log (in the supervisor's log with --detach).
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const MESH = join(import.meta.dirname, '..', '..', '..', 'examples', 'bookinfo-local', 'mesh.yaml');
const dir = mkdtempSync(join(tmpdir(), 'meshctl-prerequisites-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH directory holding exactly `commands` (executable or not). */
function pathWith(name: string, commands: string[], mode = 0o755): string {
  const bin = join(dir, name);
  mkdirSync(bin);
  for (const command of commands) writeFileSync(join(bin, command), '#!/bin/sh\n', { mode });
  return bin;
}

describe('meshctl local up --transparent on a machine without iptables and iproute2', () => {
  it.each([[[]], [['--detach']]])(
    '%j fails before starting anything, naming each tool and its package',
    (extra) => {
      const stateDir = join(dir, `state${extra.length}`);
      const result = spawnSync(
        process.execPath,
        [
          MESHCTL,
          'local',
          'up',
          '-f',
          MESH,
          '--transparent',
          '--state-dir',
          stateDir,
          '--xds-port',
          '0',
          ...extra,
        ],
        // meshctl runs on this Node by its absolute path; the tools are looked up on PATH.
        {
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, PATH: pathWith(`empty${extra.length}`, []) },
        },
      );
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(
        '--transparent needs ip (network namespaces and veth pairs), iptables-restore',
      );
      expect(result.stderr).toMatch(/apt-get install -y iproute2 iptables util-linux\n/);
      // Nothing was started: istiod would have created the state directory and its log there.
      expect(existsSync(stateDir)).toBe(false);
    },
  );
});

describe('meshctl local up with a workload whose program is missing', () => {
  it('fails before starting anything, with the line of that command', () => {
    const meshFile = join(dir, 'missing-program.yaml');
    writeFileSync(
      meshFile,
      'apiVersion: local.meshctl.dev/v1alpha1\nkind: LocalMesh\nmetadata: { name: missing }\nspec:\n' +
        '  workloads:\n    - name: web\n      command: [./no-such-app.sh]\n',
    );
    const stateDir = join(dir, 'state-missing-program');
    const result = spawnSync(
      process.execPath,
      [MESHCTL, 'local', 'up', '-f', meshFile, '--state-dir', stateDir, '--xds-port', '0'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr.replace(/\s*\n ›\s+/g, ' ')).toContain(
      `${meshFile}:7 spec.workloads[0].command: ${join(dir, 'no-such-app.sh')} does not exist`,
    );
    expect(existsSync(stateDir)).toBe(false);
  });
});

describe('what local up needs', () => {
  it('finds commands on PATH only when executable', () => {
    const path = pathWith('some', ['ip']) + ':' + pathWith('not-executable', ['setpriv'], 0o644);
    expect(onPath('ip', path)).toBe(true);
    expect(onPath('setpriv', path)).toBe(false);
    expect(onPath('ip', '')).toBe(false);
  });

  it('transparent mode: root and ip, iptables-restore and setpriv on PATH', () => {
    const tools = pathWith('tools', ['ip', 'iptables-restore', 'setpriv']);
    expect(transparentModeProblems(0, tools)).toEqual([]);
    expect(transparentModeProblems(1000, tools)).toEqual([
      '--transparent needs root (network namespaces and iptables): run it with sudo',
    ]);
    const noIptables = pathWith('no-iptables', ['ip', 'setpriv']);
    expect(transparentModeProblems(1000, noIptables)[1]).toBe(
      '--transparent needs iptables-restore (the capture rules), not found on PATH; Debian/Ubuntu: sudo apt-get install -y iptables',
    );
  });

  it("explicit mode: workload addresses on loopback (127.0.10.1 here); an address that is not the machine's is named", async () => {
    expect(await explicitModeProblems()).toEqual([]);
    const [problem] = await explicitModeProblems('192.0.2.1');
    expect(problem).toContain('192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)');
  });
});
