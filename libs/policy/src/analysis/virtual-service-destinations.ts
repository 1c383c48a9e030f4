import type { Destination } from '../api/common.js';
import type { VirtualServiceSpec } from '../api/networking/virtual-service.js';

/**
 * The destinations a VirtualService sends traffic to, each with the field path of its host (for the
 * message's line) and whether it is a mirror (Istio's messages name mirrors differently).
 */
export interface AnnotatedDestination {
  destination: Destination;
  /** `spec.http[0].route[1].destination`, `spec.http[2].mirror`, ... */
  path: string;
  mirror: boolean;
}

/** Route destinations in Istio's order: tcp, tls, then http. */
export function routeDestinations(spec: VirtualServiceSpec): AnnotatedDestination[] {
  const result: AnnotatedDestination[] = [];
  for (const protocol of ['tcp', 'tls', 'http'] as const)
    (spec[protocol] ?? []).forEach((rule, i) =>
      (rule.route ?? []).forEach((route, j) => {
        if (route.destination !== undefined)
          result.push({
            destination: route.destination,
            path: `spec.${protocol}[${i}].route[${j}].destination`,
            mirror: false,
          });
      }),
    );
  return result;
}

/** HTTP mirror destinations (`mirror` and `mirrors`). */
export function mirrorDestinations(spec: VirtualServiceSpec): AnnotatedDestination[] {
  const result: AnnotatedDestination[] = [];
  (spec.http ?? []).forEach((rule, i) => {
    if (rule.mirror !== undefined)
      result.push({ destination: rule.mirror, path: `spec.http[${i}].mirror`, mirror: true });
    (rule.mirrors ?? []).forEach((policy, j) => {
      if (policy.destination !== undefined)
        result.push({
          destination: policy.destination,
          path: `spec.http[${i}].mirrors[${j}].destination`,
          mirror: true,
        });
    });
  });
  return result;
}
