#!/usr/bin/env node
// meshctl entry point: oclif finds the compiled commands under dist/commands (see package.json "oclif").
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/commands', import.meta.url))) {
  console.error('meshctl: not built yet; run "npm run build" first');
  process.exit(2);
}
// On a Node older than the workspace's engines, run again on the pinned one (never returns).
const { runOnSupportedNode } = await import('@mesh/launcher/pinned-node');
await runOnSupportedNode(import.meta.url);
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
