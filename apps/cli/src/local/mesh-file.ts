import { dirname, resolve } from 'node:path';

import { loadYaml } from '@mesh/policy';

/**
 * The local platform's mesh file (`kind: LocalMesh`, `local.meshctl.dev/v1alpha1`): the trust domain,
 * the Istio and Kubernetes YAML to load (files or directories; `Service` objects define services by
 * selector and ports), and the workloads to run, each with its app command, identity, labels and the
 * ports its app serves. Pure: the caller reads the file; every problem is reported with `file:line`.
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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

/** Parses and validates a mesh file; throws `MeshFileError` listing every problem. */
export function parseMeshFile(text: string, file: string): LocalMesh {
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
  const seen = new Set<string>();
  (Array.isArray(rawWorkloads) ? rawWorkloads : []).forEach((raw: unknown, i) => {
    const at = `spec.workloads[${i}]`;
    if (!isObject(raw)) {
      problem(at, 'must be a mapping');
      return;
    }
    const name = raw['name'];
    if (typeof name !== 'string' || !DNS_LABEL.test(name))
      problem(`${at}.name`, 'must be a DNS label (a-z, 0-9, -)');
    const namespace = raw['namespace'] ?? 'default';
    if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace))
      problem(`${at}.namespace`, 'must be a DNS label');
    const key = `${String(namespace)}/${String(name)}`;
    if (seen.has(key)) problem(`${at}.name`, `duplicate workload ${key}`);
    seen.add(key);
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
