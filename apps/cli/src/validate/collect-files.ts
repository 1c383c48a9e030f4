import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** The files named, with directories expanded (recursively) to the YAML and JSON files inside. */
export function collectConfigFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push(path);
      continue;
    }
    if (!statSync(path).isDirectory()) {
      files.push(path);
      continue;
    }
    const inside = readdirSync(path, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && CONFIG_FILE.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    files.push(...inside);
  }
  return files;
}
