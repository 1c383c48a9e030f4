import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, expect, it } from 'vitest';

import { prepareConfigDir } from '../src/local/config-dir.js';

/** The local platform's config directory holds exactly the files istiod takes as config. */

const dir = mkdtempSync(join(tmpdir(), 'meshctl-config-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('copies the files istiod reads as config, by its name rule, flattening the tree into mesh/', () => {
  const source = join(dir, 'config');
  mkdirSync(join(source, 'nested'), { recursive: true });
  for (const file of ['a.yaml', 'B.YML', 'c.json', '.a.yaml', 'notes.txt', 'nested/d.yml'])
    writeFileSync(join(source, file), '');
  const target = join(dir, 'state', 'config');
  prepareConfigDir(target, [source]);
  // In `mesh/`, after what `local apply` adds beside it (applied.yaml) in istiod's path order.
  expect(readdirSync(target)).toEqual(['mesh']);
  expect(readdirSync(join(target, 'mesh')).sort()).toEqual(['B.YML', 'a.yaml', 'c.json', 'nested__d.yml']);
});
