#!/usr/bin/env node
import { pino } from 'pino';

import { CaMaterialError } from './ca/ca-material.js';
import { MeshConfigError } from './config/mesh-config-source.js';
import { parseIstiodOptions, UsageError, USAGE } from './options.js';
import { startIstiod } from './server/istiod.js';

/**
 * istiod: the mesh control plane. Bad flags, unreadable directories, unusable CA material or an invalid
 * MeshConfig print one line and exit with code 2; SIGINT/SIGTERM shut down cleanly.
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
  let istiod;
  try {
    istiod = await startIstiod(options, logger);
  } catch (err) {
    if (
      err instanceof CaMaterialError ||
      err instanceof MeshConfigError ||
      (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
    ) {
      console.error(`istiod: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`istiod: ${err.stack ?? err.message}`);
    process.exitCode = 1;
  },
);
