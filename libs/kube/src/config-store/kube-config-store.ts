import {
  ADD,
  CONNECT,
  DELETE,
  ERROR,
  HttpMethod,
  ListWatch,
  RequestContext,
  UPDATE,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import {
  ConfigIndex,
  configKey,
  formatFinding,
  validateResource,
  type ConfigStore,
  type ConfigStoreStatus,
  type Finding,
  type StaleConfig,
  type StoredConfig,
} from '@mesh/policy';

import { fetch } from 'undici';

import type { WatchedKind } from './watched-kinds.js';

/** Timers, injectable so tests drive backoff without waiting. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface KubeConfigStoreOptions {
  kinds: readonly WatchedKind[];
  /** First retry delay after a failed list or watch; doubles up to `maxBackoffMs`. Defaults 500 ms / 30 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  onError?: (kind: string, error: Error, retryInMs: number) => void;
}

interface KindWatch {
  kind: WatchedKind;
  informer: ListWatch<KubernetesObject>;
  synced: boolean;
  failures: number;
  retry?: unknown;
}

/**
 * istiod's config source on a cluster: one list-then-watch informer per kind (client-node's ListWatch:
 * resumes from the last resourceVersion, relists on 410 Gone and reconciles the cache without losing
 * or duplicating events). When a list or watch fails, the informer is restarted after a capped
 * exponential backoff. Objects that fail validation are kept out and reported, as the file store does;
 * an invalid update of an object in force leaves its last good version in force (fail closed: a typo
 * must not delete an ALLOW policy) until a valid update or its deletion.
 */
export class KubeConfigStore extends ConfigIndex implements ConfigStore {
  private readonly invalid = new Map<string, Finding[]>();
  private readonly stale = new Map<string, StaleConfig>();
  private readonly watches: KindWatch[] = [];
  private readonly clock: Clock;
  private stopped = false;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: KubeConfigStoreOptions,
  ) {
    super();
    this.clock = options.clock ?? REAL_CLOCK;
  }

  /** Starts every informer; resolves once each kind has been listed (retrying until it has). */
  async start(): Promise<void> {
    const watch = new Watch(this.kubeConfig);
    for (const kind of this.options.kinds) {
      // A successful list is what proves the API server is back: it marks the kind synced and ends the backoff.
      const list = async () => {
        const result = await listCollection(this.kubeConfig, kind.path);
        state.synced = true;
        state.failures = 0;
        return result;
      };
      const informer = new ListWatch<KubernetesObject>(kind.path, watch, list, false);
      const state: KindWatch = { kind, informer, synced: false, failures: 0 };
      informer.on(ADD, (obj) => this.upsert(kind, obj));
      informer.on(UPDATE, (obj) => this.upsert(kind, obj));
      informer.on(DELETE, (obj) => this.remove(kind, obj));
      informer.on(CONNECT, () => undefined);
      informer.on(ERROR, (err) => this.retryLater(state, err as Error));
      this.watches.push(state);
    }
    await Promise.all(this.watches.map((w) => this.startInformer(w)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches) {
      if (w.retry !== undefined) this.clock.clearTimeout(w.retry);
      await w.informer.stop();
    }
  }

  status(): ConfigStoreStatus {
    return {
      synced: this.watches.every((w) => w.synced),
      invalid: [...this.invalid.values()].flat(),
      stale: [...this.stale.values()],
    };
  }

  private async startInformer(state: KindWatch): Promise<void> {
    try {
      await state.informer.start(); // list failures arrive through the ERROR callback
    } catch (err) {
      this.retryLater(state, err as Error);
    }
  }

  private retryLater(state: KindWatch, error: Error): void {
    if (this.stopped || state.retry !== undefined) return;
    const initial = this.options.initialBackoffMs ?? 500;
    const delay = Math.min(this.options.maxBackoffMs ?? 30_000, initial * 2 ** state.failures);
    state.failures++;
    this.options.onError?.(state.kind.kind, error, delay);
    state.retry = this.clock.setTimeout(() => {
      state.retry = undefined;
      void this.startInformer(state);
    }, delay);
  }

  private upsert(kind: WatchedKind, obj: KubernetesObject): void {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const key = configKey(kind.kind, namespace, name);
    const object = {
      ...(obj as Record<string, unknown>),
      apiVersion: obj.apiVersion ?? kind.apiVersion,
      kind: obj.kind ?? kind.kind,
    };
    const { errors } = validateResource(object);
    if (errors.length > 0) {
      this.invalid.set(key, errors);
      const lastGood = this.configs.get(key);
      if (lastGood)
        this.stale.set(key, {
          kind: kind.kind,
          namespace,
          name,
          reason: `its new version (resourceVersion ${obj.metadata?.resourceVersion ?? '?'}) is invalid: ${formatFinding(errors[0] as Finding)}; last good version (resourceVersion ${lastGood.resourceVersion}) kept`,
        });
      return;
    }
    this.invalid.delete(key);
    this.stale.delete(key);
    const config: StoredConfig = {
      apiVersion: String(object.apiVersion),
      kind: kind.kind,
      namespace,
      name,
      object,
      resourceVersion: obj.metadata?.resourceVersion ?? '',
    };
    const previous = this.configs.get(key);
    this.configs.set(key, config);
    this.emit(previous ? { type: 'update', config, previous } : { type: 'add', config });
  }

  private remove(kind: WatchedKind, obj: KubernetesObject): void {
    const key = configKey(kind.kind, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
    this.invalid.delete(key);
    this.stale.delete(key);
    this.drop(key);
  }

  private drop(key: string): void {
    const config = this.configs.get(key);
    if (!config) return;
    this.configs.delete(key);
    this.emit({ type: 'delete', config });
  }
}

/** Lists a collection across namespaces, authenticated exactly as client-node's Watch is. */
async function listCollection(
  kubeConfig: KubeConfig,
  path: string,
): Promise<KubernetesListObject<KubernetesObject>> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const context = new RequestContext(`${server}${path}`, HttpMethod.GET);
  await kubeConfig.applySecurityAuthentication(context);
  const response = await fetch(context.getUrl(), {
    headers: context.getHeaders(),
    dispatcher: context.getDispatcher(),
  });
  const body = (await response.json()) as KubernetesListObject<KubernetesObject> & { message?: string };
  if (!response.ok)
    throw Object.assign(new Error(`list ${path}: ${response.status} ${body.message ?? ''}`), {
      statusCode: response.status,
    });
  return body;
}
