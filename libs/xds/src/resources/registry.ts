import { ClusterLoadAssignmentType } from './cluster-load-assignment.js';
import { ClusterType } from './cluster.js';
import { ListenerType } from './listener.js';
import type { XdsResourceType } from './resource-type.js';
import { RouteConfigurationType } from './route-configuration.js';
import { SecretType } from './secret.js';

/** The five standard xDS resource types, keyed by type URL. */
export const STANDARD_RESOURCE_TYPES: ReadonlyMap<string, XdsResourceType> = new Map(
  [ListenerType, RouteConfigurationType, ClusterType, ClusterLoadAssignmentType, SecretType].map((t) => [
    t.typeUrl,
    t as unknown as XdsResourceType,
  ]),
);

export function resourceTypeFor(typeUrl: string): XdsResourceType | undefined {
  return STANDARD_RESOURCE_TYPES.get(typeUrl);
}
