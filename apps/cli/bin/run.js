#!/usr/bin/env node
// meshctl's command (package.json "bin"). oclif finds the commands in oclif.manifest.json, written by
// the build with dist/ (so a command's module, and what it imports, is loaded only when it runs).
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/commands', import.meta.url))) {
  console.error('meshctl: not built yet; run "npm run build" first');
  process.exit(2);
}
// On a Node older than the workspace's engines, run again on the pinned one (never returns).
const { runOnSupportedNode } = await import('@mesh/launcher/pinned-node');
await runOnSupportedNode(import.meta.url);
// oclif's execute alone, not its index, which loads every part of oclif a command might use.
const { execute } = await import('@oclif/core/execute');
await execute({ dir: import.meta.url });
