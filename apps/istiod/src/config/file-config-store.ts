import { readdir, readFile, stat } from 'node:fs/promises';
import { relative } from 'node:path';

import {
  CONFIG_TREE_LISTING,
  ConfigIndex,
  ConfigTree,
  configFilesIn,
  diffConfigs,
  formatFinding,
  formatStale,
  parseConfigFile,
  refuseOversizeFile,
  type ConfigStore,
  type ConfigStoreStatus,
  type FileInForce,
  type Finding,
  type StoredConfig,
} from '@mesh/policy';
import { checkEnvoyPatchValue } from '@mesh/xds/envoy-filter';
import type { Logger } from 'pino';

import { readLastGood, writeLastGood } from './last-good-file.js';
import { directoriesIn, TreeWatch } from './tree-watch.js';

/** When a file was last read: it is read again only when one of these changes. */
interface FileStamp {
  mtimeMs: number;
  size: number;
}

export interface FileConfigStoreOptions {
  debounceMs?: number;
  pollMs?: number;
  /** istiod's state directory: where the last good resources of every file survive a restart. */
  stateDir?: string;
}

/**
 * The local platform's config source: a directory tree of Istio and Kubernetes YAML, watched. Which
 * files count, how each is parsed and validated and which last good versions stay in force are the
 * shared loader's (`ConfigTree` in @mesh/policy, which `meshctl validate` and `meshctl local status`
 * use too): an invalid document is reported (log, `status().invalid`) while the rest of the file and
 * of the tree still load, and the resource it defined keeps its last good version (`status().stale`),
 * across restarts when a state directory is given. Deleting a file deletes its resources. Changes are
 * debounced and turned into add/update/delete events by diffing snapshots.
 */
export class FileConfigStore extends ConfigIndex implements ConfigStore {
  private readonly stamps = new Map<string, FileStamp>();
  private readonly tree = new ConfigTree(() => this.nextVersion());
  private readonly watcher = new TreeWatch(
    () => this.scheduleRescan(),
    (dir, err) =>
      this.logger.warn({ dir, err: err.message }, 'config directory watch failed; polling continues'),
  );
  private poller?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private scanning: Promise<void> = Promise.resolve();
  private synced = false;
  private version = 0;
  /** The ignored duplicate definitions last logged, so that each is logged once, when it appears. */
  private loggedDuplicates = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly options: FileConfigStoreOptions = {},
  ) {
    super();
  }

  /** Loads the tree once, then watches it (with a slow poll as a safety net: watchers can miss events). */
  async start(): Promise<void> {
    if (this.options.stateDir)
      this.tree.restoreSaved(readLastGood(this.options.stateDir, (message) => this.logger.warn(message)));
    await this.rescan();
    // A file saved by the previous run but absent now was deleted while istiod was down.
    this.tree.forgetSaved();
    this.synced = true;
    this.poller = setInterval(() => this.scheduleRescan(), this.options.pollMs ?? 5000).unref();
  }

  close(): void {
    this.watcher.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
  }

  /** Waits for any scan in progress (tests and `meshctl local apply` use it to know a change landed). */
  async settled(): Promise<void> {
    await this.scanning;
  }

  status(): ConfigStoreStatus {
    return { synced: this.synced, ...this.tree.problems() };
  }

  private scheduleRescan(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.scanning = this.scanning
        .then(() => this.rescan())
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'config rescan failed'));
    }, this.options.debounceMs ?? 50);
  }

  private async rescan(): Promise<void> {
    const entries = await readdir(this.dir, CONFIG_TREE_LISTING);
    // A directory watched from now on may have been written before its watch began: list it again.
    if (this.watcher.watch(directoriesIn(this.dir, entries)) && this.synced) this.scheduleRescan();
    const paths = configFilesIn(entries);
    const seen = new Set(paths);
    let changed = false;
    for (const path of [...this.stamps.keys()]) if (!seen.has(path)) changed = this.forget(path) || changed;
    for (const path of paths) {
      let info;
      try {
        info = await stat(path);
      } catch {
        changed = this.forget(path) || changed; // removed between listing and stat
        continue;
      }
      const known = this.stamps.get(path);
      if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) continue;
      const file = this.fileOf(path);
      let parsed = refuseOversizeFile(file, info.size);
      if (!parsed) {
        const text = await readFile(path, 'utf8').catch(() => undefined);
        if (text === undefined) continue; // unreadable for now: keep what it defined, retry next scan
        parsed = parseConfigFile(text, file, () => this.nextVersion(), { checkEnvoyPatchValue });
      }
      const before = this.tree.get(file);
      this.logFindings(path, before, this.tree.read(parsed));
      this.stamps.set(path, { mtimeMs: info.mtimeMs, size: info.size });
      changed = true;
    }
    this.publish();
    if (changed && this.options.stateDir) await this.saveLastGood(this.options.stateDir);
  }

  /** The file's name in findings, sources and the saved copy: its path within the config directory. */
  private fileOf(path: string): string {
    return relative(this.dir, path) || path;
  }

  private forget(path: string): boolean {
    this.stamps.delete(path);
    return this.tree.delete(this.fileOf(path));
  }

  private nextVersion(): string {
    return String(++this.version);
  }

  private async saveLastGood(stateDir: string): Promise<void> {
    await writeLastGood(stateDir, this.tree.inForceByFile()).catch((err: Error) =>
      this.logger.warn({ err: err.message }, 'cannot save the last good config to the state directory'),
    );
  }

  /**
   * Logs a file's errors, and the last good versions kept because of them, when they differ from its
   * last read (a touched file is not logged again).
   */
  private logFindings(path: string, before: FileInForce | undefined, next: FileInForce): void {
    const lines = reportLines(next);
    if (before && lines.join('\n') === reportLines(before).join('\n')) return;
    for (const line of lines) this.logger.warn({ file: path }, line);
  }

  /**
   * A resource defined in two files is taken from the first path in sorted order (ConfigTree.merge):
   * the same winner on every read and restart, whatever order files change in. The ignored definition
   * is logged once, with where the one in force is.
   */
  private logDuplicates(duplicates: readonly Finding[]): void {
    const lines = new Set(duplicates.map((f) => `duplicate config ignored: ${formatFinding(f)}`));
    for (const line of lines) if (!this.loggedDuplicates.has(line)) this.logger.warn(line);
    this.loggedDuplicates = lines;
  }

  /** Emits the difference between the tree's merged resources and the last snapshot. */
  private publish(): void {
    const merged = this.tree.merge();
    this.logDuplicates(merged.duplicates);
    const next = new Map<string, StoredConfig>();
    for (const [key, config] of merged.configs) next.set(key, reuseVersion(this.configs.get(key), config));
    const events = diffConfigs(this.configs, next);
    this.configs = next;
    for (const event of events) this.emit(event);
  }
}

function reportLines(state: FileInForce): string[] {
  return [
    ...state.invalid.map((f) => `invalid config skipped: ${formatFinding(f)}`),
    ...state.stale.map((s) => `invalid config, last good version kept: ${formatStale(s)}`),
  ];
}

/** An unchanged object keeps its resourceVersion when its file is re-read for another change. */
function reuseVersion(previous: StoredConfig | undefined, config: StoredConfig): StoredConfig {
  if (
    previous &&
    JSON.stringify(previous.object) === JSON.stringify(config.object) &&
    previous.source?.line === config.source?.line
  )
    return previous;
  return config;
}
