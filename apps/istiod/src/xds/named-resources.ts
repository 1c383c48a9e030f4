import type { PreparedResource } from '@mesh/xds';

/** Prepared resources of one snapshot by `<type URL> <name>`; null marks a name that produced nothing. */
export type NamedResources = Map<string, PreparedResource | null>;

/**
 * Answers a request by name from what this snapshot already prepared: `prepareMissing` runs only for names
 * not asked for before (a change reaches a thousand proxies asking for the same few names) and must put
 * what it prepares in `cache`; a name it did not produce is remembered as absent.
 */
export function preparedByName(
  cache: NamedResources,
  typeUrl: string,
  names: ReadonlySet<string>,
  prepareMissing: (missing: ReadonlySet<string>) => void,
): PreparedResource[] {
  const key = (name: string) => `${typeUrl} ${name}`;
  const missing = new Set([...names].filter((name) => !cache.has(key(name))));
  if (missing.size > 0) {
    prepareMissing(missing);
    for (const name of missing) if (!cache.has(key(name))) cache.set(key(name), null);
  }
  const out: PreparedResource[] = [];
  for (const name of names) {
    const prepared = cache.get(key(name));
    if (prepared) out.push(prepared);
  }
  return out;
}
