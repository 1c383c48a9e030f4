import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

/**
 * `npm ci` links a workspace's commands (`npx istiod`, `npx mesh-proxy`, `npx meshctl`) only if each
 * `bin` entry exists when it runs — in a fresh clone, before anything is built. So every entry must be
 * a committed file, never build output.
 */
const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function workspacePackages(): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(workspaceRoot, parent))
      .map((name) => join(parent, name))
      .filter((dir) => existsSync(join(workspaceRoot, dir, 'package.json')));
  });
}

const tracked = new Set(
  execFileSync('git', ['ls-files', '-z'], { cwd: workspaceRoot, encoding: 'utf8' }).split('\0'),
);

const bins = workspacePackages().flatMap((dir) => {
  const { name, bin } = JSON.parse(readFileSync(join(workspaceRoot, dir, 'package.json'), 'utf8')) as {
    name: string;
    bin?: string | Record<string, string>;
  };
  const entries = typeof bin === 'string' ? { [name]: bin } : (bin ?? {});
  return Object.entries(entries).map(([command, path]) => ({
    command,
    file: relative(workspaceRoot, normalize(join(workspaceRoot, dir, path))),
  }));
});

describe('package bin entries', () => {
  it('include the commands the README tells users to run with npx', () => {
    expect(bins.map((b) => b.command)).toEqual(expect.arrayContaining(['istiod', 'mesh-proxy', 'meshctl']));
  });

  it.each(bins)('$command → $file is a committed, executable script', ({ file }) => {
    expect(file.split('/')).not.toContain('dist');
    expect(tracked.has(file), `${file} is not tracked by git`).toBe(true);
    expect(statSync(join(workspaceRoot, file)).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(workspaceRoot, file), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});
