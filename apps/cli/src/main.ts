#!/usr/bin/env node
/**
 * meshctl: the mesh command-line tool. This is the process entry point; it parses the command line and hands over
 * to the modules of this app.
 */
import { readFileSync } from 'node:fs';

const USAGE = `usage: meshctl --version`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === 'version')) {
  console.log(`meshctl ${version()}`);
} else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
  console.log(USAGE);
} else {
  console.error(`meshctl: unknown arguments: ${args.join(' ') || '(none)'}\n${USAGE}`);
  process.exitCode = 2;
}
