import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm test` on a fresh machine: the system tools the tests use are checked before anything runs, and
 * installed as CI installs them when possible (root and apt-get), or the run stops at once with the
 * exact command to run. PATH is what decides: the tests run these tools by name.
 */

const workspaceRoot = join(import.meta.dirname, '..', '..', '..');
const SCRIPT = join(workspaceRoot, 'tools', 'scripts', 'system-tools.mjs');

interface Tool {
  command: string;
  debianPackage: string;
}
type Plan =
  | { action: 'none' }
  | { action: 'install'; packages: string[]; commands: string[][] }
  | { action: 'stop'; packages: string[]; message: string };
interface SystemTools {
  SYSTEM_TOOLS: Tool[];
  toolPath(path: string): string;
  missingTools(path: string): Tool[];
  installPlan(missing: Tool[], machine: { root: boolean; aptGet: boolean }): Plan;
  ensureSystemTools(options: {
    path: string;
    root: boolean;
    run: (argv: string[]) => boolean;
    log: (line: string) => void;
  }): boolean;
}
// A plain .mjs (it runs before `npm ci` in CI), so typed here by what the tests use of it.
const tools = (await import(pathToFileURL(SCRIPT).href)) as SystemTools;

const dir = mkdtempSync(join(tmpdir(), 'system-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH directory with a working stand-in for each of `commands`. */
function binWith(name: string, commands: readonly string[]): string {
  const bin = join(dir, name);
  mkdirSync(bin, { recursive: true });
  for (const command of commands) symlinkSync('/bin/true', join(bin, command));
  return bin;
}

const ALL = tools.SYSTEM_TOOLS.map((t) => t.command);
const WITHOUT_IPTABLES_AND_PROMETHEUS = ALL.filter((c) => !/tables|prom/.test(c));

describe('the system tools npm test needs', () => {
  it('are openssl, curl, iptables, iproute2 and prometheus, as CI has always installed', () => {
    expect([...new Set(tools.SYSTEM_TOOLS.map((t) => t.debianPackage))]).toEqual([
      'openssl',
      'curl',
      'iptables',
      'iproute2',
      'prometheus',
    ]);
  });

  it('are looked for on PATH, and in the sbin directories a user PATH often lacks', () => {
    const path = binWith('some', WITHOUT_IPTABLES_AND_PROMETHEUS);
    expect(tools.missingTools(path).map((t) => t.command)).toEqual([
      'iptables',
      'iptables-restore',
      'iptables-save',
      'ip6tables-restore',
      'ip6tables-save',
      'prometheus',
      'promtool',
    ]);
    expect(tools.toolPath('/usr/bin:/bin')).toBe('/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin');
  });

  it('as root with apt-get: installs the missing packages as CI does', () => {
    const missing = tools.missingTools(binWith('plan', WITHOUT_IPTABLES_AND_PROMETHEUS));
    expect(tools.installPlan(missing, { root: true, aptGet: true })).toEqual({
      action: 'install',
      packages: ['iptables', 'prometheus'],
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'iptables', 'prometheus'],
      ],
    });
  });

  it('otherwise: stops with the exact command to run', () => {
    const missing = tools.missingTools(
      binWith(
        'stop',
        ALL.filter((c) => c !== 'promtool' && c !== 'ip'),
      ),
    );
    expect(tools.installPlan(missing, { root: false, aptGet: true })).toEqual({
      action: 'stop',
      packages: ['iproute2', 'prometheus'],
      message:
        'The tests need ip, promtool, not found on PATH. Install them, then run the tests again:\n' +
        '  sudo apt-get install -y iproute2 prometheus',
    });
    expect(tools.installPlan(missing, { root: true, aptGet: false })).toMatchObject({
      message: expect.stringContaining(
        '(the Debian/Ubuntu packages: apt-get install -y iproute2 prometheus)',
      ),
    });
    expect(tools.installPlan([], { root: false, aptGet: false })).toEqual({ action: 'none' });
  });

  it('installs, then checks again that every tool is there', () => {
    const bin = binWith('install', [...WITHOUT_IPTABLES_AND_PROMETHEUS, 'apt-get']);
    const ran: string[][] = [];
    const log: string[] = [];
    const installed = tools.ensureSystemTools({
      path: bin,
      root: true,
      log: (line) => log.push(line),
      run: (argv) => {
        ran.push(argv);
        if (argv[1] === 'install')
          binWith(
            'install',
            ALL.filter((c) => !WITHOUT_IPTABLES_AND_PROMETHEUS.includes(c)),
          );
        return true;
      },
    });
    expect(installed).toBe(true);
    expect(ran.map((argv) => argv.slice(0, 2).join(' '))).toEqual(['apt-get update', 'apt-get install']);
    expect(log).toEqual(['Installing the system tools the tests use: iptables prometheus']);
  });

  it('fails when the install did not provide them', () => {
    const bin = binWith('broken-install', [...WITHOUT_IPTABLES_AND_PROMETHEUS, 'apt-get']);
    const log: string[] = [];
    const ok = tools.ensureSystemTools({ path: bin, root: true, run: () => true, log: (l) => log.push(l) });
    expect(ok).toBe(false);
    expect(log.at(-1)).toMatch(/^Still not found on PATH after installing: iptables, .*promtool\.$/);
  });
});

describe('npm test (tools/scripts/test-all.mjs) on a machine without prometheus', () => {
  it('stops before running anything, with the command to run', () => {
    // Every other tool is there (iptables in /usr/sbin if installed, else a stand-in); no apt-get.
    const bin = binWith(
      'npm-test',
      ALL.filter((c) => !c.startsWith('prom')),
    );
    const result = spawnSync(process.execPath, [join(workspaceRoot, 'tools', 'scripts', 'test-all.mjs')], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, PATH: bin },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'The tests need prometheus, promtool, not found on PATH. Install them (the Debian/Ubuntu packages: ' +
        `${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y prometheus), then run the tests again.\n`,
    );
    expect(result.stdout).toBe(''); // no project ran
  });
});
