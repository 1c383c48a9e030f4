import type { LoadBalancerSettings, OutlierDetection } from '../../api/networking/traffic-policy.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';

/**
 * Locality load balancing (Istio's `ValidateLocalityLbSetting`): weighted distribution between
 * localities, or ordered failover between regions, which only acts once outlier detection ejects hosts.
 */

type LocalityLb = NonNullable<LoadBalancerSettings['localityLbSetting']>;
const TOPOLOGY_LABELS = new Set([
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
]);

export function checkLocalityLb(
  lb: LocalityLb,
  outlier: OutlierDetection | undefined,
  path: string,
  c: FindingCollector,
): void {
  const distribute = lb.distribute ?? [];
  const failover = lb.failover ?? [];
  if (distribute.length > 0 && failover.length > 0) {
    c.error('TRAFFIC_POLICY_INVALID', path, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  const topology = (lb.failoverPriority ?? []).find((label) => TOPOLOGY_LABELS.has(label));
  if (failover.length > 0 && topology !== undefined) {
    c.error(
      'TRAFFIC_POLICY_INVALID',
      field(path, 'failoverPriority'),
      `can not simultaneously set 'failover' and topology label '${topology}' in 'failover_priority'`,
    );
    return;
  }
  distribute.forEach((entry, i) => {
    const at = item(field(path, 'distribute'), i);
    const weights = Object.values(entry.to ?? {});
    if (weights.some((w) => w <= 0 || w > 100))
      c.error('TRAFFIC_POLICY_INVALID', field(at, 'to'), 'locality weight must be in range [1, 100]');
    else if (weights.reduce((a, b) => a + b, 0) !== 100) {
      c.error(
        'TRAFFIC_POLICY_INVALID',
        field(at, 'to'),
        `total locality weight ${weights.reduce((a, b) => a + b, 0)} != 100`,
      );
    }
    c.check('TRAFFIC_POLICY_INVALID', field(at, 'to'), checkLocalities(Object.keys(entry.to ?? {})));
  });
  c.check(
    'TRAFFIC_POLICY_INVALID',
    field(path, 'distribute'),
    checkLocalities(distribute.map((d) => d.from ?? '')),
  );
  if ((failover.length > 0 || (lb.failoverPriority?.length ?? 0) > 0) && outlier === undefined) {
    c.warning('TRAFFIC_POLICY_INVALID', path, 'outlier detection policy must be provided for failover');
  }
  failover.forEach((entry, i) => {
    const at = item(field(path, 'failover'), i);
    const [from, to] = [entry.from ?? '', entry.to ?? ''];
    if (from === to)
      c.error('TRAFFIC_POLICY_INVALID', at, 'locality lb failover settings must specify different regions');
    if (from.includes('/') || to.includes('/'))
      c.error('TRAFFIC_POLICY_INVALID', at, 'locality lb failover only specify region');
    if (from.includes('*') || to.includes('*'))
      c.error('TRAFFIC_POLICY_INVALID', at, "locality lb failover region should not contain '*' wildcard");
  });
}

/** Localities (`region/zone/subzone`, a trailing `*` allowed) must not be empty or overlap each other. */
function checkLocalities(localities: readonly string[]): string | undefined {
  const seen: string[][] = [];
  for (const locality of localities) {
    const stars = locality.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !locality.endsWith('*'))) {
      return `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`;
    }
    const parts = locality.split('/', 3);
    if (parts.some((p) => p === ''))
      return `locality ${locality} must not contain empty region/zone/subzone info`;
    // Two localities overlap when one is a prefix of the other (`us-east` covers `us-east/zone-a`).
    const overlaps = seen.some((other) => {
      const n = Math.min(other.length, parts.length);
      return (
        other[0] === '*' || other.slice(0, n).every((p, i) => p === parts[i] || p === '*' || parts[i] === '*')
      );
    });
    if (overlaps) return `locality ${locality} overlap with previous specified ones`;
    seen.push(parts);
  }
  return undefined;
}
