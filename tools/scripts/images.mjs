#!/usr/bin/env node
// `npm run images [-- --hub H] [--tag T] [--engine docker|podman] [--dry-run]`: builds the mesh's images
// from the repository's Dockerfile — <hub>/pilot:<tag> (istiod) and <hub>/proxyv2:<tag> (mesh-proxy) —
// with docker or podman, whichever answers. The names default to what charts/istiod installs
// (global.hub, global.tag, pilot.image, global.proxy.image), read from its values.yaml so the two cannot
// drift. Without a usable container engine it says which one is missing or unreachable and exits 3.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');

/** The image names charts/istiod uses by default. */
export function chartImages() {
  const values = parse(readFileSync(join(root, 'charts', 'istiod', 'values.yaml'), 'utf8'));
  const defaults = values._internal_defaults_do_not_set;
  return {
    hub: defaults.global.hub,
    tag: String(defaults.global.tag),
    targets: { pilot: defaults.pilot.image, proxyv2: defaults.global.proxy.image },
  };
}

/** The first engine whose client runs and whose daemon (docker) or runtime (podman) answers. */
function findEngine(preferred) {
  const problems = [];
  for (const engine of preferred ? [preferred] : ['docker', 'podman']) {
    const info = spawnSync(engine, ['info'], { encoding: 'utf8', timeout: 30_000 });
    if (info.error?.code === 'ENOENT') {
      problems.push(`${engine}: not installed`);
      continue;
    }
    if (info.status !== 0) {
      const reason = `${info.stderr ?? ''}${info.error?.message ?? ''}`.trim().split('\n').pop();
      problems.push(`${engine}: installed, but \`${engine} info\` fails: ${reason}`);
      continue;
    }
    return { engine };
  }
  return { problems };
}

function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      hub: { type: 'string' },
      tag: { type: 'string' },
      engine: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const images = chartImages();
  const hub = values.hub ?? images.hub;
  const tag = values.tag ?? images.tag;
  const builds = Object.entries(images.targets).map(([target, name]) => ({
    target,
    image: `${hub}/${name}:${tag}`,
  }));
  let engine = values.engine ?? 'docker';
  if (!values['dry-run']) {
    const found = findEngine(values.engine);
    if (!found.engine) {
      console.error(
        `npm run images: no usable container engine, so no image was built.\n` +
          found.problems.map((p) => `  ${p}`).join('\n') +
          `\nInstall docker or podman (and start the docker daemon), or build elsewhere with:\n` +
          builds.map((b) => `  docker build --target ${b.target} -t ${b.image} .`).join('\n'),
      );
      return 3;
    }
    engine = found.engine;
  }
  for (const { target, image } of builds) {
    const args = ['build', '--target', target, '-t', image, root];
    console.log(`${engine} ${args.join(' ')}`);
    if (values['dry-run']) continue;
    const build = spawnSync(engine, args, { stdio: 'inherit' });
    if (build.status !== 0) {
      console.error(`npm run images: ${engine} build of ${image} failed (exit ${build.status})`);
      return 1;
    }
  }
  if (!values['dry-run']) console.log(`built ${builds.map((b) => b.image).join(' and ')}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
