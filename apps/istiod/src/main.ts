#!/usr/bin/env node
import { ReadinessReporter, type IstiodPorts } from '@mesh/launcher/readiness';
import { pino } from 'pino';

import { CaMaterialError } from './ca/ca-material.js';
import { MeshConfigError } from './config/mesh-config-source.js';
import { parseIstiodOptions, UsageError, USAGE } from './options.js';
import { startIstiod } from './server/istiod.js';

/**
 * istiod: the mesh control plane. Bad flags, unreadable directories, unusable CA material, an invalid
 * MeshConfig or a port it cannot listen on print one line and exit with code 2 (and, with `--ready-fd`,
 * report the reason); SIGINT/SIGTERM shut down cleanly.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options;
  try {
    options = parseIstiodOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`istiod: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = pino({ name: 'istiod', level: options.logLevel });
  const readiness = new ReadinessReporter<IstiodPorts>(options.readyFd);
  let istiod;
  try {
    istiod = await startIstiod(options, logger);
  } catch (err) {
    const failure = startupFailure(err);
    readiness.failed(failure.reason);
    console.error(
      `istiod: ${failure.exitCode === 2 ? failure.reason : ((err as Error).stack ?? failure.reason)}`,
    );
    // What it had started (config watchers, a port already bound) would keep it running.
    process.exit(failure.exitCode);
  }
  readiness.ready({
    xdsPort: istiod.ports.xds,
    secureXdsPort: istiod.ports.secureXds,
    monitoringPort: istiod.ports.monitoring,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await istiod.close();
  return 0;
}

/** Errors of a listen the operator can fix: another process has the port, or it is not ours to take. */
const LISTEN_ERRORS = /^listen (EADDRINUSE|EACCES|EADDRNOTAVAIL)\b/;

/**
 * Why istiod cannot start, in one line, and whether the operator can fix it (exit 2) or it is a defect
 * (exit 1). grpc-js reports a port it cannot bind only as text: "No address added out of total 1
 * resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:15012]".
 */
function startupFailure(err: unknown): { reason: string; exitCode: 1 | 2 } {
  if (err instanceof CaMaterialError || err instanceof MeshConfigError)
    return { reason: err.message, exitCode: 2 };
  const message = err instanceof Error ? err.message : String(err);
  const listen = /errors: \[(listen [^\]]+)\]$/.exec(message)?.[1] ?? message;
  return { reason: listen, exitCode: LISTEN_ERRORS.test(listen) ? 2 : 1 };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`istiod: ${err.stack ?? err.message}`);
    process.exitCode = 1;
  },
);
