import {
  startIstiod,
  type IstiodOptions,
  type IstiodProcess,
  type LaunchedIstiodPorts,
  type ProgramLaunchOptions,
} from '@mesh/launcher';

/** pino's level for warnings: istiod's warnings and errors are shown as they come. */
const PINO_WARN = 40;

/**
 * istiod as every benchmark runs it: the launcher `meshctl local` uses, on loopback with free ports
 * (unless `options` say otherwise). Its last 200 log lines are kept for error messages; its warnings
 * and errors go to stderr as they come, so they never mix with the report on stdout.
 */
export async function startBenchIstiod(
  options: IstiodOptions,
  launch: Pick<ProgramLaunchOptions, 'nodeFlags' | 'readyTimeoutMs'> = {},
): Promise<{ istiod: IstiodProcess; ports: LaunchedIstiodPorts }> {
  const istiod = startIstiod(options, {
    ...launch,
    logs: { memory: true, maxLines: 200, onLine: showWarnings },
  });
  return { istiod, ports: await istiod.ready };
}

function showWarnings(line: string): void {
  let level: unknown;
  try {
    ({ level } = JSON.parse(line) as { level?: unknown });
  } catch {
    level = PINO_WARN; // not a log entry (a crash's stack trace): always worth seeing
  }
  if (typeof level === 'number' && level >= PINO_WARN) process.stderr.write(`istiod: ${line}\n`);
}
