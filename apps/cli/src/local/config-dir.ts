import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

import { isConfigFileName } from '@mesh/policy';
import { parseAllDocuments, stringify } from 'yaml';

import { privateDir } from './state-dir.js';

/**
 * The config directory istiod watches for a local mesh: a copy of the mesh's `config:` files and
 * directories (in `mesh/`), beside what `meshctl local apply` added. Like a cluster, the platform gives
 * every `Service` without one a cluster IP (10.96.0.0/16), so TCP services have a VIP to be called at
 * and transparent mode has addresses to put in the pods' hosts files. The copy may hold Secrets: it is
 * owner-only (files 0600 in a 0700 directory).
 */

/**
 * The files of a path istiod takes as config, by the name rule of its loader (`isConfigFileName`); a
 * link to a file is followed, since the copy is a file.
 */
function configFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(path, entry))
    .filter((file) => isConfigFileName(basename(file)) && statSync(file).isFile())
    .sort();
}

export interface ServiceAddress {
  name: string;
  namespace: string;
  clusterIP: string;
}

/** Gives each Service without a cluster IP the next free one; returns the text and the services seen. */
function assignClusterIps(text: string, next: () => string): { text: string; services: ServiceAddress[] } {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return { text, services: [] };
  const services: ServiceAddress[] = [];
  let changed = false;
  const out = documents.map((doc) => {
    const object = doc.toJS() as Record<string, unknown> | null;
    if (!object || object['kind'] !== 'Service' || object['apiVersion'] !== 'v1') return doc.toString();
    const metadata = (object['metadata'] ?? {}) as { name?: string; namespace?: string };
    const spec = (object['spec'] ?? {}) as Record<string, unknown>;
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      spec['clusterIP'] = next();
      object['spec'] = spec;
      changed = true;
    }
    services.push({
      name: metadata.name ?? '',
      namespace: metadata.namespace ?? 'default',
      clusterIP: String(spec['clusterIP']),
    });
    return stringify(object);
  });
  return {
    text: changed ? out.map((d) => (d.startsWith('---') ? d : `---\n${d}`)).join('\n') : text,
    services,
  };
}

/**
 * Where the mesh file's config is copied, inside the config directory. What `local apply` added sits
 * beside it (applied-config.ts), first in path order, so that an applied resource wins over the mesh
 * file's version of it.
 */
const MESH_CONFIG_SUBDIR = 'mesh';

/** Recreates `configDir` from the mesh's config paths; returns the services and their cluster IPs. */
export function prepareConfigDir(configDir: string, paths: readonly string[]): ServiceAddress[] {
  rmSync(configDir, { recursive: true, force: true });
  privateDir(configDir);
  const meshDir = privateDir(join(configDir, MESH_CONFIG_SUBDIR));
  let counter = 0;
  const next = () => {
    counter++;
    return `10.96.${Math.floor(counter / 250)}.${(counter % 250) + 1}`;
  };
  const services: ServiceAddress[] = [];
  for (const path of paths) {
    for (const file of configFiles(path)) {
      const { text, services: found } = assignClusterIps(readFileSync(file, 'utf8'), next);
      services.push(...found);
      const name = (statSync(path).isDirectory() ? relative(path, file) : basename(file)).replaceAll(
        '/',
        '__',
      );
      writeFileSync(join(meshDir, name), text, { mode: 0o600 });
    }
  }
  return services;
}
