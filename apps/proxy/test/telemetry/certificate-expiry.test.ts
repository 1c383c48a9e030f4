import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { CertificateExpiryStats, type ServedCertificatesPem } from '../../src/telemetry/index.js';
import { meshRoot, served, T0 } from './certificate-fixtures.js';
import { promtoolCheckMetrics } from './promtool.js';

/**
 * The proxy's certificate expiry metrics, as Istio's agent (`istio_agent_cert_expiry_seconds`) and
 * Envoy (`envoy_server_days_until_first_cert_expiring`) name them: computed from the certificate in
 * force when scraped, so a renewal and a root rotation show at the next scrape.
 */

const HOUR = 3600;
const DAY = 86400;

function scraped(current: () => ServedCertificatesPem | undefined, now: () => Date) {
  const registry = new Registry();
  new CertificateExpiryStats(registry, current, now);
  return async () => {
    const text = await registry.metrics();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    return {
      text,
      secondsLeft: value('istio_agent_cert_expiry_seconds{resource_name="default"}'),
      days: value('envoy_server_days_until_first_cert_expiring'),
    };
  };
}

describe('certificate expiry metrics', () => {
  it('give the workload certificate’s time left and the days until the first certificate expires', async () => {
    const root = meshRoot(365 * DAY);
    const scrape = scraped(
      () => served(root, 3 * DAY),
      () => new Date(T0.getTime() + 12 * HOUR * 1000),
    );
    const { secondsLeft, days } = await scrape();
    // The CA starts the certificate a minute early (clock skew); the lifetime is counted from T0.
    expect(secondsLeft).toBe(3 * DAY - 12 * HOUR);
    expect(days).toBe(2); // 2.5 days left: whole days, as Envoy counts them
  });

  it('follow a renewal and a root rotation at the next scrape', async () => {
    const oldRoot = meshRoot(365 * DAY);
    let current = served(oldRoot, DAY);
    let now = new Date(T0.getTime() + 13 * HOUR * 1000);
    const scrape = scraped(
      () => current,
      () => now,
    );
    expect((await scrape()).secondsLeft).toBe(11 * HOUR);
    expect((await scrape()).days).toBe(0);

    current = served(oldRoot, 10 * DAY, now); // renewed at half life, for longer
    expect((await scrape()).secondsLeft).toBe(10 * DAY);
    expect((await scrape()).days).toBe(10);

    // A new root that expires first (still trusted beside the old one): Envoy counts every
    // certificate it manages, roots included.
    const newRoot = meshRoot(5 * DAY, now);
    current = served(newRoot, 2 * DAY, now, [newRoot, oldRoot]);
    now = new Date(now.getTime() + DAY * 1000);
    expect(await scrape()).toMatchObject({ secondsLeft: DAY, days: 1 });
    current = served(newRoot, 4 * DAY, now, [newRoot, oldRoot]);
    expect(await scrape()).toMatchObject({ secondsLeft: 4 * DAY, days: 4 });
  });

  it('go negative (seconds) and to 0 (days) once the certificate has expired', async () => {
    const root = meshRoot(365 * DAY);
    const scrape = scraped(
      () => served(root, HOUR),
      () => new Date(T0.getTime() + 2 * HOUR * 1000),
    );
    expect(await scrape()).toMatchObject({ secondsLeft: -HOUR, days: 0 });
  });

  // promtool's linter wants base units in names; Envoy's gauge counts days, and dashboards use its name.
  it('pass promtool check metrics, but for the unit lint on Envoy’s own name in days', async () => {
    const root = meshRoot(365 * DAY);
    const { text } = await scraped(
      () => served(root, DAY),
      () => T0,
    )();
    expect(text).toContain('# TYPE istio_agent_cert_expiry_seconds gauge');
    expect(text).toContain('# TYPE envoy_server_days_until_first_cert_expiring gauge');
    // Exit 3 is promtool's "lint problems found"; a format error would be exit 1.
    expect(await promtoolCheckMetrics(text)).toEqual({
      code: 3,
      output: ['envoy_server_days_until_first_cert_expiring use base unit "seconds" instead of "days"'],
    });
  });
});
