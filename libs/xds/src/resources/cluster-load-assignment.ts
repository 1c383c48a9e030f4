import type { ClusterLoadAssignment } from '../generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import { TypeUrl } from '../type-urls.js';
import { checkAddress, type CanonicalAddress } from './common-checks.js';
import { defineResourceType } from './resource-type.js';
import { IssueCollector, type ValidationIssue } from './validation.js';

export type { ClusterLoadAssignment };

type Obj = Record<string, unknown>;

function checkWeight(at: IssueCollector, weight: { value?: number } | undefined): void {
  if (weight?.value !== undefined) at.check(weight.value >= 1, 'load_balancing_weight must be at least 1');
}

/** Validates endpoints; shared by EDS and by clusters with an inline load_assignment. */
export function checkLoadAssignment(at: IssueCollector, cla: Obj, opts: { requireName: boolean }): void {
  if (opts.requireName)
    at.field('cluster_name').requireString(
      cla['cluster_name'] as string | undefined,
      'cluster_name is required',
    );
  ((cla['endpoints'] as Obj[] | undefined) ?? []).forEach((locality, i) => {
    const la = at.field('endpoints').index(i);
    checkWeight(
      la.field('load_balancing_weight'),
      locality['load_balancing_weight'] as { value?: number } | undefined,
    );
    const priority = Number(locality['priority'] ?? 0);
    la.field('priority').check(
      Number.isInteger(priority) && priority >= 0 && priority <= 128,
      'priority must be in [0, 128]',
    );
    ((locality['lb_endpoints'] as Obj[] | undefined) ?? []).forEach((lb, j) => {
      const ea = la.field('lb_endpoints').index(j);
      checkWeight(
        ea.field('load_balancing_weight'),
        lb['load_balancing_weight'] as { value?: number } | undefined,
      );
      const endpoint = lb['endpoint'] as Obj | undefined;
      if (lb['endpoint_name'] !== undefined) return;
      if (!ea.field('endpoint').check(endpoint !== undefined, 'endpoint or endpoint_name is required'))
        return;
      checkAddress(
        ea.field('endpoint.address'),
        (endpoint as Obj)['address'] as CanonicalAddress | undefined,
      );
    });
  });
}

export const ClusterLoadAssignmentType = defineResourceType<ClusterLoadAssignment>({
  typeUrl: TypeUrl.ClusterLoadAssignment,
  sotwFullState: false,
  nameOf: (cla) => cla.cluster_name ?? '',
  validate(cla): ValidationIssue[] {
    const at = new IssueCollector();
    checkLoadAssignment(at, cla as Obj, { requireName: true });
    return at.issues;
  },
});
