import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

import {
  DEFAULT_MESH_CONFIG,
  formatFinding,
  parseMeshConfigYaml,
  refuseOversizeMeshConfig,
  type ConfigStore,
  type Finding,
  type MeshConfigValidation,
  type ResolvedMeshConfig,
} from '@mesh/policy';
import type { Logger } from 'pino';

/** Istio's MeshConfig ConfigMap in istiod's namespace: the YAML is under the key `mesh`. */
export const MESH_CONFIG_MAP = { key: 'mesh' } as const;

/**
 * The ConfigMap's name: `istio`, or `istio-<rev>` for a named revision (Istio's getMeshConfigMapName;
 * the istiod chart names it so), so each revision's istiod reads its own MeshConfig.
 */
export function meshConfigMapName(revision: string): string {
  return revision === '' || revision === 'default' ? 'istio' : `istio-${revision}`;
}

/** The MeshConfig istiod is started with does not parse or validate: istiod refuses to start. */
export class MeshConfigError extends Error {
  override readonly name = 'MeshConfigError';
  readonly code = 'ISTIOD_MESH_CONFIG';
}

export interface MeshConfigSourceOptions {
  /** `--mesh-config`: a MeshConfig YAML file, which wins over the ConfigMap. */
  file?: string;
  /** The config store, for the `istio[-<rev>]` ConfigMap in `istioNamespace` (Kubernetes). */
  store: ConfigStore;
  istioNamespace: string;
  /** `--revision`: picks the ConfigMap (meshConfigMapName). */
  revision: string;
}

/** Quiet time after a file event (an editor's save is several), and the safety-net poll. */
const WATCH_DEBOUNCE_MS = 50;
const POLL_MS = 5000;

/** What `/debug/configz` shows under `meshConfig`. */
export interface MeshConfigStatus {
  /** The file, `ConfigMap <namespace>/istio[-<rev>] data.mesh`, or `defaults`. */
  source: string;
  /** The MeshConfig in force, Istio's defaults applied. */
  inForce: ResolvedMeshConfig;
  /** The errors of the source's current version, when it is invalid and the last good one is kept. */
  invalid: Finding[];
  warnings: Finding[];
}

/**
 * Istio's MeshConfig for istiod, from `--mesh-config` (watched: the directory, since Kubernetes swaps
 * a mounted ConfigMap's files by renaming a symlink, plus a slow poll as a safety net), else from the
 * `istio[-<rev>]` ConfigMap in the config store, else Istio's defaults. It fails closed (DESIGN.md §12): an
 * invalid or unreadable version is logged with `file:line` and reported while the last good MeshConfig
 * stays in force; deleting the ConfigMap is an explicit return to the defaults. At start an invalid
 * MeshConfig is an error: istiod does not start on config it cannot apply, as Istio does not.
 */
export class MeshConfigSource {
  private state: MeshConfigStatus;
  /** The text last read, so a touched but unchanged source is neither parsed nor logged again. */
  private lastText?: string;
  private lastStamp = '';
  private readonly listeners: ((config: ResolvedMeshConfig) => void)[] = [];
  private watcher?: FSWatcher;
  private poller?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private reading: Promise<void> = Promise.resolve();
  private readonly configMapName: string;

  private constructor(
    private readonly options: MeshConfigSourceOptions,
    private readonly logger: Logger,
  ) {
    this.configMapName = meshConfigMapName(options.revision);
    const source = options.file ?? `ConfigMap ${options.istioNamespace}/${this.configMapName}`;
    this.state = { source, inForce: DEFAULT_MESH_CONFIG, invalid: [], warnings: [] };
  }

  /** Reads the MeshConfig (a `MeshConfigError` if it is invalid), then watches its source. */
  static async start(options: MeshConfigSourceOptions, logger: Logger): Promise<MeshConfigSource> {
    const source = new MeshConfigSource(options, logger);
    await source.refresh();
    if (source.state.invalid.length > 0)
      throw new MeshConfigError(`invalid MeshConfig: ${source.state.invalid.map(formatFinding).join('; ')}`);
    logger.info({ source: source.state.source }, 'MeshConfig read');
    source.watch();
    return source;
  }

  get current(): ResolvedMeshConfig {
    return this.state.inForce;
  }

  status(): MeshConfigStatus {
    return this.state;
  }

  /** `listener` hears every MeshConfig that replaces the one in force. */
  onChange(listener: (config: ResolvedMeshConfig) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    this.unsubscribe?.();
  }

  private watch(): void {
    const { file } = this.options;
    if (file === undefined) {
      const { istioNamespace } = this.options;
      this.unsubscribe = this.options.store.subscribe(({ config }) => {
        const ours = config.namespace === istioNamespace && config.name === this.configMapName;
        if (config.kind === 'ConfigMap' && ours) this.schedule(0);
      });
      return;
    }
    this.watcher = watch(dirname(file), () => this.schedule(WATCH_DEBOUNCE_MS));
    this.watcher.on('error', (err) =>
      this.logger.warn({ file, err: err.message }, 'mesh config watch failed; polling continues'),
    );
    this.poller = setInterval(() => this.schedule(0), POLL_MS).unref();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.reading = this.reading
        .then(() => this.refresh())
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'mesh config read failed'));
    }, delayMs);
  }

  private async refresh(): Promise<void> {
    const read =
      this.options.file === undefined ? this.readConfigMap() : await this.readMeshFile(this.options.file);
    if (read === undefined) return;
    if ('text' in read) {
      if (read.text === this.lastText) return;
      this.lastText = read.text;
    } else this.lastText = undefined;
    const result = 'text' in read ? parseMeshConfigYaml(read.text, read.name) : read;
    this.apply(result, 'text' in read ? read.name : 'defaults');
  }

  /** The file's text, a finding when it cannot be read, or undefined when it has not changed. */
  private async readMeshFile(
    file: string,
  ): Promise<{ text: string; name: string } | MeshConfigValidation | undefined> {
    const unreadable = (err: unknown): MeshConfigValidation => ({
      errors: [
        meshFinding(
          file,
          `cannot read the mesh config: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        ),
      ],
      warnings: [],
    });
    let info;
    try {
      info = await stat(file);
    } catch (err) {
      this.lastStamp = '';
      return unreadable(err);
    }
    const stamp = `${info.ino}/${info.mtimeMs}/${info.size}`;
    if (stamp === this.lastStamp) return undefined;
    this.lastStamp = stamp;
    // Refused unread: a huge file would cost memory before any check could run.
    const oversize = refuseOversizeMeshConfig(file, info.size);
    if (oversize) return oversize;
    try {
      return { text: await readFile(file, 'utf8'), name: file };
    } catch (err) {
      this.lastStamp = '';
      return unreadable(err);
    }
  }

  /** The ConfigMap's `mesh` text; its absence means Istio's defaults. */
  private readConfigMap(): { text: string; name: string } | MeshConfigValidation {
    const { istioNamespace } = this.options;
    const configMap = this.options.store.get('ConfigMap', istioNamespace, this.configMapName);
    if (configMap === undefined) return { meshConfig: DEFAULT_MESH_CONFIG, errors: [], warnings: [] };
    const name = `ConfigMap ${istioNamespace}/${this.configMapName} data.${MESH_CONFIG_MAP.key}`;
    const data = configMap.object['data'] as Record<string, unknown> | undefined;
    const text = data?.[MESH_CONFIG_MAP.key];
    if (typeof text === 'string') return { text, name };
    return { errors: [meshFinding(name, `the ConfigMap has no "${MESH_CONFIG_MAP.key}" key`)], warnings: [] };
  }

  private apply(result: MeshConfigValidation, source: string): void {
    const { meshConfig } = result;
    if (meshConfig === undefined) {
      // An unreadable file is found again at every poll: say so once.
      const known = JSON.stringify(result.errors) === JSON.stringify(this.state.invalid);
      this.state = { ...this.state, invalid: result.errors, warnings: result.warnings };
      if (known) return;
      for (const finding of result.errors)
        this.logger.error(`invalid MeshConfig, the last good one stays in force: ${formatFinding(finding)}`);
      return;
    }
    for (const finding of result.warnings) this.logger.warn(`MeshConfig: ${formatFinding(finding)}`);
    const changed = JSON.stringify(meshConfig) !== JSON.stringify(this.state.inForce);
    this.state = { source, inForce: meshConfig, invalid: [], warnings: result.warnings };
    if (!changed) return;
    this.logger.info({ source }, 'MeshConfig in force');
    for (const listener of this.listeners) listener(meshConfig);
  }
}

function meshFinding(file: string, message: string): Finding {
  return {
    code: 'RESOURCE_MALFORMED',
    level: 'Error',
    kind: 'MeshConfig',
    namespace: '',
    name: '',
    path: '',
    message,
    source: { file, line: 1 },
  };
}
