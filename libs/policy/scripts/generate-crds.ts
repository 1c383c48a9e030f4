/**
 * Writes charts/base/templates/crds.yaml from the API schemas (libs/policy/src/api). Run it with
 * `npm run generate-crds --workspace @mesh/policy`, which first compiles the library: Node 24 strips
 * this file's types natively, and the compiled `dist/` provides the generator.
 * The test `src/crd/crds-file.test.ts` fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';

import { renderIstioCrds } from '../dist/crd/istio-crds.js';

const target = new URL('../../../charts/base/templates/crds.yaml', import.meta.url);
writeFileSync(target, renderIstioCrds());
console.log(`wrote ${target.pathname}`);
