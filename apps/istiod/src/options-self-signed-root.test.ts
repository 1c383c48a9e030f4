import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseIstiodOptions } from './options.js';

/** Istio's `CITADEL_SELF_SIGNED_*` environment variables, as istiod reads them. */
const dir = mkdtempSync(join(tmpdir(), 'istiod-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const parse = (env: NodeJS.ProcessEnv) =>
  parseIstiodOptions(['--config-dir', dir, '--state-dir', join(dir, 'state')], env).selfSignedRoot;

describe('the self-signed root settings', () => {
  it("default to Istio's: 10 years, checked hourly, rotated in the last 20%, with jitter", () => {
    expect(parse({})).toEqual({
      ttlSeconds: 3650 * 86400,
      checkIntervalSeconds: 3600,
      gracePeriodPercentage: 20,
      jitter: true,
    });
  });

  it('read Go durations, a whole percentage and a boolean', () => {
    expect(
      parse({
        CITADEL_SELF_SIGNED_CA_CERT_TTL: '87600h0m0s',
        CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL: '1m30s',
        CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE: '50',
        CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR: 'false',
      }),
    ).toEqual({
      ttlSeconds: 87600 * 3600,
      checkIntervalSeconds: 90,
      gracePeriodPercentage: 50,
      jitter: false,
    });
  });

  it.each([
    ['CITADEL_SELF_SIGNED_CA_CERT_TTL', '10 years', 'is not a duration'],
    ['CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL', '500ms', 'at least 1s'],
    ['CITADEL_SELF_SIGNED_ROOT_CERT_GRACE_PERIOD_PERCENTILE', '120', 'whole percentage'],
    ['CITADEL_ENABLE_JITTER_FOR_ROOT_CERT_ROTATOR', 'yes', 'true or false'],
  ])('refuse %s=%s, naming the variable', (name, value, reason) => {
    expect(() => parse({ [name]: value })).toThrow(new RegExp(`^${name}: .*${reason}`));
  });
});
