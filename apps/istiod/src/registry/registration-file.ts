import { join } from 'node:path';

import { formatSpiffeId, parseSpiffeId, type SpiffeIdentity } from '@mesh/pki';
import type { JsonValue, XdsNodeInfo } from '@mesh/xds';

import { readOwnerOnlyFile, writeOwnerOnlyFile } from '../state/owner-only-file.js';

/**
 * The endpoint registrations of connected proxies, kept in the state directory so that a restarted
 * istiod still knows them while their proxies reconnect (Istio keeps auto-registered WorkloadEntries in
 * the API server for the same reason). What is kept is what a live mTLS connection proved: the SPIFFE
 * identity of its certificate and the node metadata a workload is derived from. Only istiod writes the
 * file (owner-only, see owner-only-file.ts); a restart reads it back validated, and each entry serves
 * for a bounded grace period only, unless its proxy reconnects and proves it again.
 */

export const REGISTRATIONS_FILE = 'registry/registrations.json';

/** A start reads at most this much (some 30,000 registrations). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const FORMAT_VERSION = 1;

/** A registration as kept: who proved it, and the node (its workload fields only). */
export interface SavedRegistration {
  identity: SpiffeIdentity;
  node: XdsNodeInfo;
}

interface FileEntry {
  identity: string;
  node: { id: string; metadata: Record<string, JsonValue>; locality?: XdsNodeInfo['locality'] };
}

function serialize(registrations: readonly SavedRegistration[]): string {
  const entries: FileEntry[] = registrations.map(({ identity, node }) => ({
    identity: formatSpiffeId(identity),
    node: { id: node.id, metadata: node.metadata, ...(node.locality ? { locality: node.locality } : {}) },
  }));
  return `${JSON.stringify({ version: FORMAT_VERSION, registrations: entries }, null, 1)}\n`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One entry of the file, or the field and reason it is refused. */
function parseEntry(
  entry: unknown,
  trustDomain: string,
): SavedRegistration | { field: string; reason: string } {
  if (!isObject(entry)) return { field: '', reason: 'is not an object' };
  if (typeof entry['identity'] !== 'string') return { field: '.identity', reason: 'is not a string' };
  let identity: SpiffeIdentity;
  try {
    identity = parseSpiffeId(entry['identity']);
  } catch (err) {
    return { field: '.identity', reason: (err as Error).message };
  }
  if (identity.trustDomain !== trustDomain)
    return { field: '.identity', reason: `is in trust domain ${identity.trustDomain}, not ${trustDomain}` };
  const node = entry['node'];
  if (!isObject(node)) return { field: '.node', reason: 'is not an object' };
  if (typeof node['id'] !== 'string' || node['id'] === '')
    return { field: '.node.id', reason: 'is not a non-empty string' };
  if (!isObject(node['metadata'])) return { field: '.node.metadata', reason: 'is not an object' };
  const locality = node['locality'];
  if (locality !== undefined && !(isObject(locality) && Object.values(locality).every(isString)))
    return { field: '.node.locality', reason: 'is not an object of strings' };
  return {
    identity,
    node: {
      id: node['id'],
      cluster: '',
      metadata: node['metadata'] as Record<string, JsonValue>,
      ...(locality ? { locality: locality as XdsNodeInfo['locality'] } : {}),
    },
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * The registrations istiod's previous run kept, for a start under `trustDomain`. Nothing is trusted
 * that istiod could not have written: an unreadable, foreign or malformed file restores nothing, an
 * invalid entry is skipped; each problem is reported with its field.
 */
export function readRegistrations(
  stateDir: string,
  trustDomain: string,
  onProblem: (message: string) => void,
): SavedRegistration[] {
  const path = join(stateDir, REGISTRATIONS_FILE);
  let parsed: unknown;
  try {
    const text = readOwnerOnlyFile(path, MAX_FILE_BYTES);
    if (text === undefined) return [];
    parsed = JSON.parse(text);
  } catch (err) {
    onProblem(`${path} ${(err as Error).message}: no endpoint registration is restored`);
    return [];
  }
  if (!isObject(parsed) || parsed['version'] !== FORMAT_VERSION || !Array.isArray(parsed['registrations'])) {
    onProblem(`${path} is not a version ${FORMAT_VERSION} registrations file: nothing is restored`);
    return [];
  }
  const restored: SavedRegistration[] = [];
  const nodes = new Set<string>();
  parsed['registrations'].forEach((entry: unknown, index) => {
    const result = parseEntry(entry, trustDomain);
    const at = `${path}: registrations[${index}]`;
    if ('reason' in result) onProblem(`${at}${result.field} ${result.reason}: entry skipped`);
    else if (nodes.has(result.node.id)) onProblem(`${at}.node.id repeats ${result.node.id}: entry skipped`);
    else {
      nodes.add(result.node.id);
      restored.push(result);
    }
  });
  return restored;
}

/**
 * Writes the registrations of connected proxies as they change: one write at a time, and of the
 * changes made meanwhile only the latest is written next.
 */
export class RegistrationFile {
  private writing?: Promise<void>;
  private next?: readonly SavedRegistration[];

  constructor(
    private readonly stateDir: string,
    private readonly onError: (message: string) => void,
  ) {}

  save(registrations: readonly SavedRegistration[]): void {
    this.next = registrations;
    this.writing ??= this.drain();
  }

  /** Resolves once every save asked for so far is on disk (or failed and was reported). */
  async flushed(): Promise<void> {
    await this.writing;
  }

  private async drain(): Promise<void> {
    const path = join(this.stateDir, REGISTRATIONS_FILE);
    while (this.next) {
      const registrations = this.next;
      this.next = undefined;
      try {
        await writeOwnerOnlyFile(path, serialize(registrations));
      } catch (err) {
        this.onError(`cannot write ${path}: ${(err as Error).message}`);
      }
    }
    this.writing = undefined;
  }
}
