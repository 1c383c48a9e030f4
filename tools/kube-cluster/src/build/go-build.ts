import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  GO_COMPONENTS,
  GO_MODULES_DIR,
  readComponentModule,
  type GoBinary,
  type GoComponent,
  type ModuleVersions,
} from './go-components.js';

/**
 * Builds the cluster's programs from their pinned Go modules into a git-ignored cache, one directory
 * per component keyed by its version and a hash of everything that shapes the binaries (go.mod,
 * go.sum, the Go version, the linker flags). A directory that is complete is never rebuilt, so a
 * second build is a no-op. The machine has two cores shared with other work: the go command runs
 * under `nice` with GOMAXPROCS=2.
 */
export const CACHE_DIR = join(import.meta.dirname, '..', '..', '.cache');

const COMPLETE_MARKER = '.complete';

export interface BuildOptions {
  /** Where the component directories go (default: tools/kube-cluster/.cache). */
  readonly cacheDir?: string;
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
}

/** A component's binaries and files, by name, as absolute paths in the cache. */
export type BuiltFiles = ReadonlyMap<string, string>;

/** Runs a command, returning its stdout; fails with its stderr when it exits non-zero. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `${command} not found on PATH: the Kubernetes cluster is built with Go; ` +
                'PATH="$(tools/kube-cluster/scripts/ensure-go.sh):$PATH" finds or installs one',
            )
          : error,
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`)),
    );
  });
}

function goEnv(): NodeJS.ProcessEnv {
  // Never switch to another Go toolchain behind the user's back: a machine whose Go is older than the
  // go.mod files' `go` line gets scripts/ensure-go.sh's (see the README).
  return { ...process.env, GOMAXPROCS: '2', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' };
}

const linkerFlags = (versions: ModuleVersions) => (binary: GoBinary) => binary.ldflags?.(versions) ?? [];

/**
 * The cache directory of one component: `<name>-<version>-<hash>`, the hash covering all that shapes
 * its files: the Go version, go.mod, go.sum, what is built with which linker flags, what is copied.
 */
export async function componentCacheDir(component: GoComponent, cacheDir = CACHE_DIR): Promise<string> {
  const { goMod, goSum, versions, version } = readComponentModule(component);
  const goVersion = (await run('go', ['env', 'GOVERSION'], { env: goEnv() })).trim();
  const binaries = Object.entries(component.binaries).map(([name, binary]) => [
    name,
    binary.package,
    linkerFlags(versions)(binary),
  ]);
  const hash = createHash('sha256')
    .update(JSON.stringify([goVersion, goMod, goSum, binaries, component.files ?? {}]))
    .digest('hex')
    .slice(0, 12);
  return join(cacheDir, `${component.name}-${version}-${hash}`);
}

function filesIn(dir: string, component: GoComponent): BuiltFiles {
  const copied = Object.values(component.files ?? {}).flatMap((files) => Object.values(files));
  const names = [...Object.keys(component.binaries), ...copied];
  return new Map(names.map((name) => [name, join(dir, name)]));
}

/** The component's files if its cache directory is complete, else undefined. */
export async function cachedComponent(component: GoComponent, cacheDir = CACHE_DIR) {
  const dir = await componentCacheDir(component, cacheDir);
  return existsSync(join(dir, COMPLETE_MARKER)) ? filesIn(dir, component) : undefined;
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * Builds one component unless its cache directory is complete. The binaries are built into a
 * private directory that is renamed into place when every one is there, so an interrupted or
 * concurrent build never leaves a half-filled directory that looks complete.
 */
export async function buildComponent(
  component: GoComponent,
  options: BuildOptions = {},
): Promise<BuiltFiles> {
  const log = options.log ?? (() => undefined);
  const dir = await componentCacheDir(component, options.cacheDir);
  if (existsSync(join(dir, COMPLETE_MARKER))) return filesIn(dir, component);

  const { versions, version } = readComponentModule(component);
  const started = Date.now();
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const moduleDir = join(GO_MODULES_DIR, component.name);
  try {
    for (const [name, binary] of Object.entries(component.binaries)) {
      log(`building ${name} (${binary.package}, ${component.module} ${version})`);
      const ldflags = linkerFlags(versions)(binary).join(' ');
      const output = join(partial, name);
      const args = [
        '-n',
        '15',
        'go',
        'build',
        '-trimpath',
        `-ldflags=${ldflags}`,
        '-o',
        output,
        binary.package,
      ];
      await run('nice', args, { cwd: moduleDir, env: goEnv() });
    }
    for (const [module, files] of Object.entries(component.files ?? {})) {
      const list = ['list', '-m', '-f', '{{.Dir}}', module];
      const moduleRoot = (await run('go', list, { cwd: moduleDir, env: goEnv() })).trim();
      for (const [from, to] of Object.entries(files)) copyFileSync(join(moduleRoot, from), join(partial, to));
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(
      join(partial, COMPLETE_MARKER),
      JSON.stringify({ module: component.module, version, seconds }) + '\n',
    );
    mkdirSync(options.cacheDir ?? CACHE_DIR, { recursive: true });
    try {
      renameSync(partial, dir);
    } catch (error) {
      // Another build finished the same directory first: theirs is as good as ours.
      if (!existsSync(join(dir, COMPLETE_MARKER))) throw error;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  log(`built ${component.name} ${version} in ${formatDuration(Date.now() - started)}`);
  return filesIn(dir, component);
}

/** Builds every component (a no-op for those already cached); returns every file by name. */
export async function buildAll(options: BuildOptions = {}): Promise<BuiltFiles> {
  const started = Date.now();
  const files = new Map<string, string>();
  let built = false;
  for (const component of GO_COMPONENTS) {
    const cached = await cachedComponent(component, options.cacheDir);
    built ||= !cached;
    for (const [name, path] of cached ?? (await buildComponent(component, options))) files.set(name, path);
  }
  if (built) options.log?.(`build finished in ${formatDuration(Date.now() - started)}`);
  return files;
}

/** Every file by name if all components are built; else an error saying how to build them. */
export async function builtFiles(cacheDir = CACHE_DIR): Promise<BuiltFiles> {
  const files = new Map<string, string>();
  for (const component of GO_COMPONENTS) {
    const cached = await cachedComponent(component, cacheDir);
    if (!cached)
      throw new Error(
        `the Kubernetes binaries are not built (${component.name} is missing): run \`npm run cluster -- build\` first`,
      );
    for (const [name, path] of cached) files.set(name, path);
  }
  return files;
}
