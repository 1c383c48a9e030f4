import { dirname, resolve } from 'node:path';

import { loadYaml } from '@mesh/policy';

/**
 * The local platform's mesh file (`kind: LocalMesh`, `local.meshctl.dev/v1alpha1`): the trust domain,
 * the Istio and Kubernetes YAML to load (files or directories; `Service` objects define services by
 * selector and ports), and the workloads to run, each with its app command, identity, labels and the
 * ports its app serves. Checked as Istio checks its config: every problem is reported with `file:line`,
 * unknown fields included (a misspelt `lables:` would otherwise be dropped silently). Pure: the caller
 * reads the file, and says how to find a workload's program if it wants that checked too.
 */

export const LOCAL_MESH_API_VERSION = 'local.meshctl.dev/v1alpha1';

export interface LocalWorkload {
  name: string;
  namespace: string;
  serviceAccount: string;
  labels: Record<string, string>;
  /** argv of the app; it learns where to listen from `HOST` and `PORT`. */
  command: string[];
  env: Record<string, string>;
  /** Ports the app serves (the Services' target ports); the first is `PORT`. */
  ports: number[];
  replicas: number;
  /** false: an out-of-mesh workload, run without a proxy. */
  sidecar: boolean;
}

export interface LocalMesh {
  name: string;
  trustDomain: string;
  /** Absolute paths of the config files and directories. */
  config: string[];
  workloads: LocalWorkload[];
  /** Directory of the mesh file: commands run there. */
  baseDir: string;
  /** Lines `local up` prints once the mesh is ready (commands to try). */
  tryNext: string[];
}

export interface MeshFileProblem {
  line: number;
  field: string;
  reason: string;
}

export class MeshFileError extends Error {
  override readonly name = 'MeshFileError';
  readonly code = 'LOCAL_MESH_INVALID';
  constructor(
    readonly file: string,
    readonly problems: MeshFileProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line} ${p.field}: ${p.reason}`).join('\n'));
  }
}

/** Whether a workload's program (`command[0]`, run in the mesh file's directory) can be executed. */
export type ProgramCheck = (program: string, cwd: string, env: Record<string, string>) => string | undefined;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The fields of each mapping of a mesh file; any other is an error. */
const FIELDS = {
  document: ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['name', 'namespace', 'labels', 'annotations'],
  spec: ['trustDomain', 'config', 'workloads', 'tryNext'],
  workload: [
    'name',
    'namespace',
    'serviceAccount',
    'labels',
    'env',
    'command',
    'ports',
    'replicas',
    'sidecar',
  ],
} as const;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return undefined;
    out[k] = String(v);
  }
  return out;
}

/**
 * Parses and validates a mesh file; throws `MeshFileError` listing every problem. With `checkProgram`,
 * a workload whose program cannot be run is one of them (found before anything starts).
 */
export function parseMeshFile(text: string, file: string, checkProgram?: ProgramCheck): LocalMesh {
  const loaded = loadYaml(text, file);
  const problems: MeshFileProblem[] = loaded.findings.map((f) => ({
    line: f.source?.line ?? 1,
    field: '(yaml)',
    reason: f.message,
  }));
  const doc = loaded.resources.find((r) => r.kind === 'LocalMesh');
  if (!doc) {
    problems.push({
      line: 1,
      field: 'kind',
      reason: `no LocalMesh document (apiVersion ${LOCAL_MESH_API_VERSION})`,
    });
    throw new MeshFileError(file, problems);
  }
  const lineOf = (field: string) => doc.fieldLines.get(field) ?? doc.source.line;
  const problem = (field: string, reason: string) => problems.push({ line: lineOf(field), field, reason });
  const unknownFields = (object: unknown, known: readonly string[], prefix: string) => {
    for (const key of isObject(object) ? Object.keys(object) : [])
      if (!known.includes(key)) problem(`${prefix}${key}`, `unknown field "${key}"${didYouMean(key, known)}`);
  };
  unknownFields(doc.object, FIELDS.document, '');
  unknownFields(doc.object['metadata'], FIELDS.metadata, 'metadata.');
  unknownFields(doc.object['spec'], FIELDS.spec, 'spec.');
  if (doc.apiVersion !== LOCAL_MESH_API_VERSION)
    problem('apiVersion', `must be ${LOCAL_MESH_API_VERSION}, not "${doc.apiVersion}"`);
  const spec = isObject(doc.object['spec']) ? doc.object['spec'] : {};
  const baseDir = dirname(resolve(file));
  const trustDomain = spec['trustDomain'] ?? 'cluster.local';
  if (typeof trustDomain !== 'string' || !/^[a-z0-9.-]+$/.test(trustDomain))
    problem('spec.trustDomain', 'must be a DNS name like cluster.local');
  const configs = spec['config'] ?? [];
  if (!Array.isArray(configs) || configs.some((c) => typeof c !== 'string'))
    problem('spec.config', 'must be a list of files or directories');
  const rawWorkloads = spec['workloads'];
  if (!Array.isArray(rawWorkloads) || rawWorkloads.length === 0)
    problem('spec.workloads', 'must list at least one workload');
  const workloads: LocalWorkload[] = [];
  // Instance names, log files and tokens are named after the workload: unique across namespaces.
  const seen = new Map<string, string>();
  (Array.isArray(rawWorkloads) ? rawWorkloads : []).forEach((raw: unknown, i) => {
    const at = `spec.workloads[${i}]`;
    if (!isObject(raw)) {
      problem(at, 'must be a mapping');
      return;
    }
    unknownFields(raw, FIELDS.workload, `${at}.`);
    const name = raw['name'];
    if (typeof name !== 'string' || !DNS_LABEL.test(name))
      problem(`${at}.name`, 'must be a DNS label (a-z, 0-9, -)');
    const namespace = raw['namespace'] ?? 'default';
    if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace))
      problem(`${at}.namespace`, 'must be a DNS label');
    const first = seen.get(String(name));
    if (first !== undefined)
      problem(
        `${at}.name`,
        `duplicate workload name "${String(name)}" (also ${first}, line ${lineOf(`${first}.name`)}): ` +
          'instances, logs and tokens are named after it, so names are unique across namespaces',
      );
    else if (typeof name === 'string') seen.set(name, at);
    const serviceAccount = raw['serviceAccount'] ?? name;
    // Defaulted from the name, whose own problem is reported already.
    if (
      raw['serviceAccount'] !== undefined &&
      (typeof serviceAccount !== 'string' || !DNS_LABEL.test(serviceAccount))
    )
      problem(`${at}.serviceAccount`, 'must be a DNS label');
    const labels = stringMap(raw['labels']);
    if (!labels) problem(`${at}.labels`, 'must map label names to strings');
    const env = stringMap(raw['env']);
    if (!env) problem(`${at}.env`, 'must map variable names to strings');
    const command = raw['command'];
    if (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string'))
      problem(`${at}.command`, 'must be a non-empty list of strings (argv)');
    else {
      const cannotRun = checkProgram?.(command[0] as string, baseDir, env ?? {});
      if (cannotRun !== undefined) problem(`${at}.command`, cannotRun);
    }
    const ports = raw['ports'] ?? [];
    if (
      !Array.isArray(ports) ||
      ports.some((p) => !Number.isInteger(p) || (p as number) < 1 || (p as number) > 65535)
    )
      problem(`${at}.ports`, 'must be a list of port numbers (1-65535)');
    else if ((ports as number[]).some((p) => p >= 15000 && p <= 15090))
      problem(`${at}.ports`, "15000-15090 are the sidecar's own ports");
    const replicas = raw['replicas'] ?? 1;
    if (!Number.isInteger(replicas) || (replicas as number) < 0 || (replicas as number) > 20)
      problem(`${at}.replicas`, 'must be an integer from 0 to 20');
    const sidecar = raw['sidecar'] ?? true;
    if (typeof sidecar !== 'boolean') problem(`${at}.sidecar`, 'must be true or false');
    workloads.push({
      name: String(name),
      namespace: String(namespace),
      serviceAccount: String(serviceAccount),
      labels: labels ?? {},
      command: Array.isArray(command) ? command.map(String) : [],
      env: env ?? {},
      ports: Array.isArray(ports) ? (ports as number[]) : [],
      replicas: Number(replicas),
      sidecar: sidecar === true,
    });
  });
  const tryNext = spec['tryNext'] ?? [];
  if (!Array.isArray(tryNext) || tryNext.some((t) => typeof t !== 'string'))
    problem('spec.tryNext', 'must be a list of strings');
  if (problems.length > 0) throw new MeshFileError(file, problems);
  return {
    name: doc.name || 'local',
    trustDomain: String(trustDomain),
    config: (configs as string[]).map((c) => resolve(baseDir, c)),
    workloads,
    baseDir,
    tryNext: tryNext as string[],
  };
}

/** `; did you mean "labels"?` for a field a typo or two away from a known one. */
function didYouMean(field: string, known: readonly string[]): string {
  const close = known.find((k) => editDistance(field.toLowerCase(), k.toLowerCase()) <= 2);
  return close === undefined ? '' : `; did you mean "${close}"?`;
}

/** Levenshtein distance, with a transposition (`lables`) counted as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[a.length] as number[])[b.length] as number;
}
