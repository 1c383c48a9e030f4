import { cpus, totalmem, type as osType, release } from 'node:os';

/**
 * Helpers every benchmark shares: list flags, time limits, the machine description and a table
 * printer. Tables are printed as Markdown so a run can be pasted into BENCHMARKS.md unchanged.
 */

/** The facts needed to compare numbers across machines. */
export interface MachineFacts {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  os: string;
  node: string;
}

export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemoryGiB: totalmem() / 2 ** 30,
    os: `${osType()} ${release()}`,
    node: process.version,
  };
}

export function describeMachine(m: MachineFacts): string {
  return `${m.cpuCount} × ${m.cpuModel}, ${m.totalMemoryGiB.toFixed(1)} GiB RAM, ${m.os}, Node ${m.node}`;
}

/**
 * Parses a comma-separated flag value (`--clients 100,1000`) against a converter; an empty or missing
 * value gives the defaults. Throws with a usage-friendly message on a bad element.
 */
export function parseList<T>(
  value: string | undefined,
  defaults: readonly T[],
  convert: (item: string) => T | undefined,
  flag: string,
): T[] {
  if (value === undefined || value.trim() === '') return [...defaults];
  return value.split(',').map((raw) => {
    const item = convert(raw.trim());
    if (item === undefined) throw new Error(`--${flag}: unexpected value "${raw}"`);
    return item;
  });
}

export function positiveInteger(raw: string): number | undefined {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Raised when a scenario exceeds its time limit; the benchmark reports it and exits non-zero. */
export class BenchTimeoutError extends Error {
  override readonly name = 'BenchTimeoutError';
}

/**
 * Resolves like `promise`, or rejects after `ms`. `progress` is asked at expiry so the error says how
 * far the scenario got (a hung benchmark is only useful if it tells where it hung).
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  progress?: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const detail = progress ? ` (${progress()})` : '';
      reject(new BenchTimeoutError(`${what} did not finish within ${ms / 1000} s${detail}`));
    }, ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export type Cell = string | number | undefined;

/** Formats a number for a table: fixed decimals, '—' for a measurement that was not taken. */
export function fmt(value: number | undefined, decimals = 0): string {
  return value === undefined || Number.isNaN(value) ? '—' : value.toFixed(decimals);
}

/** A Markdown table with aligned columns; numeric-looking cells are right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => headers.map((_, i) => String(row[i] ?? '—')));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => (row[i] as string).length)));
  const numeric = headers.map(
    (_, i) => text.length > 0 && text.every((row) => /^[\d.,—/ ]+$/.test(row[i] as string)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

export const MiB = 2 ** 20;
