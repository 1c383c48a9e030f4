import { watch, type Dirent, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * Tells when anything in a directory tree changes, with one non-recursive watch per directory.
 *
 * Not `fs.watch(dir, { recursive: true })`: on Linux, Node emulates it with a watch per file and per
 * directory, and reports a directory's event only for a name it has not seen before. A file replaced
 * by a rename keeps its name while its own watch follows the old, unlinked inode, so from the second
 * replacement on nothing is reported and the change waits for the poll (seconds). Replacing by rename
 * is how config is written atomically: `meshctl local apply`, editors, Kubernetes' ConfigMap volumes.
 * A watch on the directory itself (inotify on Linux) reports every entry created, written, renamed or
 * removed in it, whatever the inode.
 */
export class TreeWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories whose watch failed, reported once: the poll covers them while it fails. */
  private readonly failures = new Set<string>();
  private closed = false;

  constructor(
    private readonly onChange: () => void,
    private readonly onError: (dir: string, err: Error) => void,
  ) {}

  /**
   * Watches exactly `dirs` (the tree's directories as last listed): new ones are added, gone ones
   * dropped. True when a directory was added: what was written in it before its watch began is seen
   * only by listing the tree again.
   */
  watch(dirs: Iterable<string>): boolean {
    if (this.closed) return false;
    const wanted = new Set(dirs);
    for (const [dir, watcher] of this.watchers)
      if (!wanted.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    let added = false;
    for (const dir of wanted) if (!this.watchers.has(dir)) added = this.add(dir) || added;
    return added;
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private add(dir: string): boolean {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, () => this.onChange());
    } catch (err) {
      // Removed since it was listed: its parent's watch reports that.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.failed(dir, err as Error);
      return false;
    }
    watcher.on('error', (err) => {
      watcher.close();
      this.watchers.delete(dir);
      this.failed(dir, err);
    });
    this.watchers.set(dir, watcher);
    this.failures.delete(dir);
    return true;
  }

  private failed(dir: string, err: Error): void {
    if (this.failures.has(dir)) return;
    this.failures.add(dir);
    this.onError(dir, err);
  }
}

/** The root and every directory below it, from a recursive listing of the root. */
export function directoriesIn(root: string, entries: readonly Dirent[]): string[] {
  return [root, ...entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))];
}
