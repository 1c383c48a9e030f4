import { configKey, type StaleConfig, type StoredConfig } from '../store/config-store.js';
import type { Finding } from '../validation/finding.js';
import type { ParsedFile } from './config-file.js';
import { keepLastGood, type FileResources } from './keep-last-good.js';
import type { SavedConfig } from './last-good-copy.js';

/** A file's latest read, and the resources it puts in force. */
export type FileInForce = ParsedFile & FileResources;

/** The tree's resources in force, and the definitions ignored because another file came first. */
export interface MergedConfig {
  configs: Map<string, StoredConfig>;
  duplicates: Finding[];
}

/**
 * The resources a config directory puts in force, as istiod holds them: each file's valid documents
 * plus the last good versions its errors keep (keep-last-good.ts), a file's first read starting from
 * what istiod saved of it (last-good-copy.ts); files merged in path order, the first definition of a
 * resource winning. Files are read by the caller (config-files.ts says which, config-file.ts parses). istiod's file store keeps one up to date as files change; `meshctl local status`
 * builds one from the same directory and istiod's copy, to evaluate what istiod enforces.
 */
export class ConfigTree {
  private readonly files = new Map<string, FileInForce>();
  private saved: ReadonlyMap<string, readonly SavedConfig[]> = new Map();
  private merged: MergedConfig | undefined;

  /** @param nextVersion gives each resource taken from the saved copy its resourceVersion. */
  constructor(private readonly nextVersion: () => string) {}

  /** What a previous run saved, by file: each file's first read starts from it, until {@link forgetSaved}. */
  restoreSaved(saved: ReadonlyMap<string, readonly SavedConfig[]>): void {
    this.saved = saved;
  }

  get(file: string): FileInForce | undefined {
    return this.files.get(file);
  }

  /** Takes in a new read of a file; returns what the file now puts in force. */
  read(parsed: ParsedFile): FileInForce {
    const previous = this.files.get(parsed.file)?.inForce ?? this.savedOf(parsed.file);
    const next: FileInForce = { ...parsed, ...keepLastGood(previous, parsed) };
    this.files.set(parsed.file, next);
    this.merged = undefined;
    return next;
  }

  /** A deleted file: its resources go, last good versions included. */
  delete(file: string): boolean {
    this.merged = undefined;
    return this.files.delete(file);
  }

  /** After the first read of the whole tree: a file the copy has but the tree lacks was deleted meanwhile. */
  forgetSaved(): void {
    this.saved = new Map();
  }

  /** The resources in force, by key; a resource defined by two files is taken from the first path. */
  merge(): MergedConfig {
    if (this.merged) return this.merged;
    const configs = new Map<string, StoredConfig>();
    const duplicates: Finding[] = [];
    for (const file of [...this.files.keys()].sort()) {
      for (const [key, config] of (this.files.get(file) as FileInForce).inForce) {
        const first = configs.get(key);
        if (!first) {
          configs.set(key, config);
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
    this.merged = { configs, duplicates };
    return this.merged;
  }

  /** Errors of every file and ignored duplicates; the last good versions kept, with why. */
  problems(): { invalid: Finding[]; stale: StaleConfig[] } {
    const files = [...this.files.values()];
    return {
      invalid: [...files.flatMap((f) => f.invalid), ...this.merge().duplicates],
      stale: files.flatMap((f) => f.stale),
    };
  }

  /** What each file puts in force, for istiod's copy (last-good-copy.ts). */
  inForceByFile(): Map<string, Iterable<StoredConfig>> {
    return new Map([...this.files].map(([file, state]) => [file, state.inForce.values()]));
  }

  private savedOf(file: string): Map<string, StoredConfig> {
    return new Map(
      (this.saved.get(file) ?? []).map((config) => [
        configKey(config.kind, config.namespace, config.name),
        { ...config, resourceVersion: this.nextVersion() },
      ]),
    );
  }
}
