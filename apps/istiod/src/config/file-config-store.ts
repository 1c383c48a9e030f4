import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

import {
  ConfigIndex,
  diffConfigs,
  formatFinding,
  MAX_CONFIG_FILE_BYTES,
  oversizeFile,
  type ConfigStore,
  type ConfigStoreStatus,
  type Finding,
  type StoredConfig,
} from '@mesh/policy';
import type { Logger } from 'pino';

import { parseConfigFile, type ParsedFile } from './parse-config-file.js';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/**
 * The local platform's config source: a directory tree of Istio and Kubernetes YAML, watched. Each
 * file is parsed and validated on its own; an invalid document is reported (log, `status().invalid`)
 * and skipped while the rest of the file and of the tree still load. Deleting a file deletes its
 * resources. Changes are debounced and turned into add/update/delete events by diffing snapshots.
 */
export class FileConfigStore extends ConfigIndex implements ConfigStore {
  private readonly files = new Map<string, ParsedFile>();
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
    private readonly options: { debounceMs?: number; pollMs?: number } = {},
  ) {
    super();
  }

  /** Loads the tree once, then watches it (with a slow poll as a safety net: watchers can miss events). */
  async start(): Promise<void> {
    await this.rescan();
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
    return {
      synced: this.synced,
      invalid: [...[...this.files.values()].flatMap((f) => f.invalid), ...this.duplicates],
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
    for (const path of [...this.files.keys()]) if (!seen.has(path)) this.files.delete(path);
    for (const path of paths) {
      let info;
      try {
        info = await stat(path);
      } catch {
        this.files.delete(path); // removed between listing and stat
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
          ? { ...stamp, configs: new Map(), invalid: [oversizeFile(file, info.size)], warnings: [] }
          : parseConfigFile(text, file, stamp, () => String(++this.version));
      this.logFindings(path, known, parsed);
      this.files.set(path, parsed);
    }
    this.publish();
  }

  /** Logs a file's errors when they differ from its last read (a touched file is not logged again). */
  private logFindings(path: string, known: ParsedFile | undefined, parsed: ParsedFile): void {
    const lines = parsed.invalid.map(formatFinding);
    if (known && lines.join('\n') === known.invalid.map(formatFinding).join('\n')) return;
    for (const line of lines) this.logger.warn({ file: path }, `invalid config skipped: ${line}`);
  }

  /** Merges the files (first path wins on duplicates) and emits the difference from the last snapshot. */
  private publish(): void {
    const next = new Map<string, StoredConfig>();
    const duplicates: Finding[] = [];
    for (const path of [...this.files.keys()].sort()) {
      for (const [key, config] of (this.files.get(path) as ParsedFile).configs) {
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
