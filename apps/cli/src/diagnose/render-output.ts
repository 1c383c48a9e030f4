import { stringify } from 'yaml';

/** The output formats of the diagnose commands: a table, or the result object itself. */
export type OutputFormat = 'table' | 'json' | 'yaml';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

/** The result object as JSON or YAML; undefined for the table, which each command renders itself. */
export function renderObject(result: object, format: OutputFormat): string | undefined {
  if (format === 'json') return JSON.stringify(result, null, 2);
  if (format === 'yaml') return stringify(result).trimEnd();
  return undefined;
}

/** Columns padded to their widest cell, separated by two spaces (istioctl's tabwriter look). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
