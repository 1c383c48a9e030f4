import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as main from '../src/index.js';

/**
 * The test API server is a test double: it is reachable only through `@mesh/kube/test-server`, and
 * nothing in the production entry point imports it (DESIGN.md §8 item 5).
 */
const src = join(import.meta.dirname, '..', 'src');

describe('entry points', () => {
  it('keep the test server out of the main entry point', () => {
    expect(Object.keys(main)).not.toContain('startTestApiServer');
    const productionFiles = readdirSync(src).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    expect(productionFiles.length).toBeGreaterThan(0);
    for (const file of productionFiles) {
      expect(readFileSync(join(src, file), 'utf8'), file).not.toMatch(/from '\.\/test-server/);
    }
  });

  it('publish the test server as its own export', () => {
    const manifest = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
    };
    expect(manifest.exports['.']?.['@mesh/source']).toBe('./src/index.ts');
    expect(manifest.exports['./test-server']?.['@mesh/source']).toBe('./src/test-server/index.ts');
  });
});
