// Writes meshctl's oclif.manifest.json (apps/cli's build runs it after tsc; see the build target in
// apps/cli/package.json). With a manifest oclif knows every command's flags and help without importing
// the command modules: `meshctl --version` imports none and `meshctl local status` only its own, which
// `npm run bench -- cli` measures. The same as oclif's own `oclif manifest`, without that package.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Plugin } from '@oclif/core';

const root = resolve(process.argv[2] ?? '.');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
