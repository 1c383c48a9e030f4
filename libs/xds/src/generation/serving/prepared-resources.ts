import { resourceTypeFor } from '../../resources/registry.js';
import { prepareResource, type PreparedResource } from '../../server/resource-source.js';

/**
 * Hears about a resource left out of a push: it could not be generated or encoded. The client keeps what
 * it had for it instead of the whole push failing.
 */
export type GenerationErrorReporter = (what: string, error: Error) => void;

/** Prepared resources of one snapshot by `<type URL> <name>`; null marks a name that produced nothing. */
export type NamedResources = Map<string, PreparedResource | null>;

/**
 * Runs a generator and encodes what it made. A generator failure or a resource that cannot be encoded
 * is reported and left out, never failing the push. With `cache`, resources are remembered by name, and
 * one encoded before under its name is reused.
 */
export function prepareGenerated(
  typeUrl: string,
  generate: () => object[],
  onError: GenerationErrorReporter,
  cache?: NamedResources,
): PreparedResource[] {
  const type = resourceTypeFor(typeUrl);
  if (!type) return [];
  let generated: object[];
  try {
    generated = generate();
  } catch (err) {
    onError(`generating ${type.shortName} resources`, err as Error);
    return [];
  }
  const out: PreparedResource[] = [];
  for (const resource of generated) {
    const name = type.nameOf(resource as never);
    const key = `${typeUrl} ${name}`;
    let prepared = cache?.get(key);
    if (!prepared) {
      try {
        prepared = prepareResource(typeUrl, name, resource);
      } catch (err) {
        onError(`encoding ${type.shortName} ${name}`, err as Error);
        cache?.set(key, null);
        continue;
      }
      cache?.set(key, prepared);
    }
    out.push(prepared);
  }
  return out;
}

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
