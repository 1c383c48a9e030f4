#!/usr/bin/env node
// mesh-proxy's command (package.json "bin"). Committed, unlike dist/, so that `npm ci` links it before
// anything is built; the program itself is the build output.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('mesh-proxy: not built yet; run "npm run build" first');
  process.exit(2);
}
// On a Node older than the workspace's engines, run again on the pinned one (never returns).
const { runOnSupportedNode } = await import('@mesh/launcher/pinned-node');
await runOnSupportedNode(import.meta.url);
await import(main.href);
