import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

import {
  ConfigIndex,
  configKey,
  diffConfigs,
  formatFinding,
  formatStale,
  MAX_CONFIG_FILE_BYTES,
  oversizeFile,
  type ConfigStore,
  type ConfigStoreStatus,
  type Finding,
  type StoredConfig,
} from '@mesh/policy';
import type { Logger } from 'pino';

import { keepLastGood, type FileResources } from './keep-last-good.js';
import { readLastGood, writeLastGood } from './last-good-file.js';
import { parseConfigFile, unreadFile, type ParsedFile } from './parse-config-file.js';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** One config file: as last read, and the resources it puts in force. */
type FileState = ParsedFile & FileResources & { file: string };

export interface FileConfigStoreOptions {
  debounceMs?: number;
  pollMs?: number;
  /** istiod's state directory: where the last good resources of every file survive a restart. */
  stateDir?: string;
}

/**
 * The local platform's config source: a directory tree of Istio and Kubernetes YAML, watched. Each
 * file is parsed and validated on its own; an invalid document is reported (log, `status().invalid`)
 * while the rest of the file and of the tree still load, and the resource it defined keeps its last
 * good version (`status().stale`; see keep-last-good.ts), across restarts when a state directory is
 * given. Deleting a file deletes its resources. Changes are debounced and turned into
 * add/update/delete events by diffing snapshots.
 */
export class FileConfigStore extends ConfigIndex implements ConfigStore {
  private readonly files = new Map<string, FileState>();
  /** Last good resources saved by the previous run, by file: used for each file's first read only. */
  private restored = new Map<string, Omit<StoredConfig, 'resourceVersion'>[]>();
  private duplicates: Finding[] = [];
  private watcher?: FSWatcher;
  private poller?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private scanning: Promise<void> = Promise.resolve();
  private synced = false;
  private version = 0;

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
      this.restored = readLastGood(this.options.stateDir, (message) => this.logger.warn(message));
    await this.rescan();
    // A file saved by the previous run but absent now was deleted while istiod was down.
    this.restored.clear();
    this.synced = true;
    this.watcher = watch(this.dir, { recursive: true }, () => this.scheduleRescan());
    this.watcher.on('error', (err) =>
      this.logger.warn(
        { dir: this.dir, err: err.message },
        'config directory watch failed; polling continues',
      ),
    );
    this.poller = setInterval(() => this.scheduleRescan(), this.options.pollMs ?? 5000).unref();
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
  }

  /** Waits for any scan in progress (tests and `meshctl local apply` use it to know a change landed). */
  async settled(): Promise<void> {
    await this.scanning;
  }

  status(): ConfigStoreStatus {
    const files = [...this.files.values()];
    return {
      synced: this.synced,
      invalid: [...files.flatMap((f) => f.invalid), ...this.duplicates],
      stale: files.flatMap((f) => f.stale),
    };
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
    const paths = await listConfigFiles(this.dir);
    const seen = new Set(paths);
    let changed = false;
    for (const path of [...this.files.keys()]) if (!seen.has(path) && this.files.delete(path)) changed = true;
    for (const path of paths) {
      let info;
      try {
        info = await stat(path);
      } catch {
        changed = this.files.delete(path) || changed; // removed between listing and stat
        continue;
      }
      const known = this.files.get(path);
      if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) continue;
      const file = relative(this.dir, path) || path;
      const stamp = { mtimeMs: info.mtimeMs, size: info.size };
      // Refused unread: a huge file would cost memory and parse time before any check could run.
      const text =
        info.size > MAX_CONFIG_FILE_BYTES ? undefined : await readFile(path, 'utf8').catch(() => null);
      if (text === null) continue;
      const parsed =
        text === undefined
          ? unreadFile(stamp, oversizeFile(file, info.size))
          : parseConfigFile(text, file, stamp, () => this.nextVersion());
      const next: FileState = { ...parsed, ...keepLastGood(file, this.previous(file, known), parsed), file };
      this.logFindings(path, known, next);
      this.files.set(path, next);
      changed = true;
    }
    this.publish();
    if (changed && this.options.stateDir) await this.saveLastGood(this.options.stateDir);
  }

  private nextVersion(): string {
    return String(++this.version);
  }

  /** What a file put in force before this read: from its last read, or from the previous run. */
  private previous(file: string, known: FileState | undefined): Map<string, StoredConfig> {
    if (known) return known.inForce;
    const saved = this.restored.get(file) ?? [];
    return new Map(
      saved.map((config) => [
        configKey(config.kind, config.namespace, config.name),
        { ...config, resourceVersion: this.nextVersion() },
      ]),
    );
  }

  private async saveLastGood(stateDir: string): Promise<void> {
    const byFile = new Map([...this.files.values()].map((f) => [f.file, f.inForce.values()]));
    await writeLastGood(stateDir, byFile).catch((err: Error) =>
      this.logger.warn({ err: err.message }, 'cannot save the last good config to the state directory'),
    );
  }

  /**
   * Logs a file's errors, and the last good versions kept because of them, when they differ from its
   * last read (a touched file is not logged again).
   */
  private logFindings(path: string, known: FileState | undefined, next: FileState): void {
    const lines = reportLines(next);
    if (known && lines.join('\n') === reportLines(known).join('\n')) return;
    for (const line of lines) this.logger.warn({ file: path }, line);
  }

  /** Merges the files (first path wins on duplicates) and emits the difference from the last snapshot. */
  private publish(): void {
    const next = new Map<string, StoredConfig>();
    const duplicates: Finding[] = [];
    for (const path of [...this.files.keys()].sort()) {
      for (const [key, config] of (this.files.get(path) as FileState).inForce) {
        const first = next.get(key);
        if (!first) {
          next.set(key, reuseVersion(this.configs.get(key), config));
          continue;
        }
        duplicates.push({
          code: 'DUPLICATE_RESOURCE',
          level: 'Error',
          kind: config.kind,
          namespace: config.namespace,
          name: config.name,
          path: '',
          message: `also defined at ${first.source?.file}:${first.source?.line}; this definition is ignored`,
          source: config.source,
        });
      }
    }
    const events = diffConfigs(this.configs, next);
    this.configs = next;
    this.duplicates = duplicates;
    for (const event of events) this.emit(event);
  }
}

function reportLines(state: FileState): string[] {
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

async function listConfigFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && CONFIG_FILE.test(e.name) && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
