import type { PackedAny } from '../codec/any.js';
import type { XdsResourceType } from '../resources/resource-type.js';
import { formatIssues } from '../resources/validation.js';

export interface DecodedResource<T extends object = object> {
  name: string;
  version: string;
  resource: T;
}

/**
 * Decodes and validates every resource of a response. All problems are collected (each prefixed
 * with the type and resource name) so a NACK tells the server everything that is wrong at once.
 */
export function decodeResponse(
  type: XdsResourceType,
  items: readonly { name?: string; version?: string; any: PackedAny }[],
): { resources: DecodedResource[]; errors: string[] } {
  const resources: DecodedResource[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const label = `${type.shortName} ${item.name ?? `resource[${i}]`}`;
    if (item.any.type_url !== type.typeUrl) {
      errors.push(`${label}: type ${item.any.type_url} does not match the response type ${type.typeUrl}`);
      return;
    }
    let resource: object;
    try {
      resource = type.decode(item.any.value);
    } catch (err) {
      errors.push(`${label}: ${(err as Error).message}`);
      return;
    }
    const name = type.nameOf(resource);
    const where = `${type.shortName} ${name || item.name || `resource[${i}]`}`;
    if (item.name !== undefined && name !== item.name) {
      errors.push(`${where}: resource name "${name}" does not match the announced name "${item.name}"`);
      return;
    }
    if (seen.has(name)) errors.push(`${where}: duplicate resource name in one response`);
    seen.add(name);
    const issues = type.validate(resource);
    if (issues.length > 0) {
      errors.push(`${where}: ${formatIssues(issues)}`);
      return;
    }
    resources.push({ name, version: item.version ?? '', resource });
  });
  return { resources, errors };
}
