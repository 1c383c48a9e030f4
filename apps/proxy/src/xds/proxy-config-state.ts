import { EventEmitter } from 'node:events';

import {
  AdsClient,
  proxyConfig,
  TypeUrl,
  type AdsClientOptions,
  type EnvoyCluster,
  type EnvoyListener,
  type HeldResource,
  type ProxyConfig,
  type ResourceUpdate,
  type Secret,
} from '@mesh/xds';

import { edsNamesOf, rdsNamesOf, sdsNamesOf } from './resource-references.js';
import { proxyCapabilityErrors } from './proxy-capabilities.js';

/** One accepted configuration, immutable: requests started on it finish on it. */
export interface ConfigSnapshot {
  /**
   * The resources, with every route configuration and filter chain compiled (libs/xds `envoy/`):
   * compiled when each update was checked before its ACK, so per-request work is a lookup.
   */
  config: ProxyConfig;
  /** Increases with every snapshot, for logs and `/config_dump`. */
  generation: number;
  /** When each type was last updated, by type URL. */
  lastUpdated: ReadonlyMap<string, Date>;
}

export interface ProxyConfigStateEvents {
  snapshot: [ConfigSnapshot];
  /** A type was rejected: the last good config stays in force. */
  rejected: [{ typeUrl: string; message: string }];
}

/**
 * Envoy's initial_fetch_timeout: a listener whose routes (or a cluster whose endpoints) have not come
 * is applied anyway after this long, so one missing resource cannot hold back all config.
 */
const WARMING_TIMEOUT_MS = 5_000;

/**
 * The proxy's accepted xDS configuration. Subscribes to every listener and cluster, then to the routes,
 * endpoints and istiod's SDS secrets (a gateway's `kubernetes://` credentials) they name, as Envoy
 * does; checks every update against what this proxy can run before ACKing it (else NACK, keeping the
 * last good config); and publishes a new immutable snapshot only once what the listeners and clusters
 * reference has arrived (Envoy's warming), so a request never meets a listener whose routes or
 * clusters are not there yet. Secrets are not part of the snapshot: TLS contexts read the accepted
 * ones at each handshake (`secrets`), so a rotation needs no new snapshot.
 */
export class ProxyConfigState extends EventEmitter<ProxyConfigStateEvents> {
  readonly client: AdsClient;
  #current: ConfigSnapshot;
  #generation = 0;
  readonly #lastUpdated = new Map<string, Date>();
  #warmingTimer: NodeJS.Timeout | undefined;
  /**
   * Secrets that had not come when warming last timed out: istiod has none by that name (a missing
   * credential), so later updates do not wait for them again; their chains refuse handshakes.
   */
  readonly #unserved = new Set<string>();
  readonly #router: boolean;

  constructor(options: Omit<AdsClientOptions, 'validate'>) {
    super();
    this.client = new AdsClient({ ...options, validate: proxyCapabilityErrors });
    this.#router = options.node.id.startsWith('router~');
    this.#current = {
      config: proxyConfig({ listeners: [], routes: [], clusters: [], loadAssignments: [] }),
      generation: 0,
      lastUpdated: new Map(),
    };
    this.client.on('update', (update) => this.#onUpdate(update));
    this.client.on('nack', (nack) => this.emit('rejected', { typeUrl: nack.typeUrl, message: nack.message }));
  }

  start(): void {
    this.client.subscribe(TypeUrl.Cluster, '*');
    this.client.subscribe(TypeUrl.Listener, '*');
    this.client.start();
  }

  stop(): void {
    clearTimeout(this.#warmingTimer);
    this.client.close();
  }

  /** The SDS secrets accepted from istiod, by name (the TLS contexts' `kubernetes://` credentials). */
  secrets(): ReadonlyMap<string, HeldResource<Secret>> {
    return this.client.resources<Secret>(TypeUrl.Secret);
  }

  get current(): ConfigSnapshot {
    return this.#current;
  }

  /** Whether the first full configuration has been applied (Envoy's "initialized"; readiness). */
  get synced(): boolean {
    return (
      this.#lastUpdated.has(TypeUrl.Listener) &&
      this.#lastUpdated.has(TypeUrl.Cluster) &&
      this.#generation > 0
    );
  }

  #onUpdate(update: ResourceUpdate): void {
    this.#lastUpdated.set(update.typeUrl, new Date());
    if (update.typeUrl === TypeUrl.Cluster) {
      this.#follow(TypeUrl.ClusterLoadAssignment, edsNamesOf(this.#held<EnvoyCluster>(TypeUrl.Cluster)));
    } else if (update.typeUrl === TypeUrl.Listener) {
      this.#follow(TypeUrl.RouteConfiguration, rdsNamesOf(this.#held<EnvoyListener>(TypeUrl.Listener)));
    } else if (update.typeUrl === TypeUrl.Secret) {
      for (const { name } of update.updated) this.#unserved.delete(name);
      // A rotation is read at the next handshake; only a listener warming on it waits for this.
      if (this.#warmingTimer === undefined) return;
    }
    if (update.typeUrl === TypeUrl.Cluster || update.typeUrl === TypeUrl.Listener) {
      const wanted = this.#secretNames();
      this.#follow(TypeUrl.Secret, wanted);
      for (const name of this.#unserved) if (!wanted.has(name)) this.#unserved.delete(name);
    }
    this.#publishWhenWarm();
  }

  /** Subscribes to exactly `wanted` names of a dependent type. */
  #follow(typeUrl: string, wanted: ReadonlySet<string>): void {
    const held = new Set(this.client.status().find((s) => s.typeUrl === typeUrl)?.names ?? []);
    const gone = [...held].filter((n) => !wanted.has(n));
    const added = [...wanted].filter((n) => !held.has(n));
    if (gone.length > 0) this.client.unsubscribe(typeUrl, gone);
    if (added.length > 0) this.client.subscribe(typeUrl, added);
  }

  /** Only gateways (`router~` nodes) ask istiod for secrets; it serves sidecars none. */
  #secretNames(): Set<string> {
    if (!this.#router) return new Set();
    return sdsNamesOf(this.#held<EnvoyListener>(TypeUrl.Listener), this.#held<EnvoyCluster>(TypeUrl.Cluster));
  }

  #held<T extends object>(typeUrl: string): T[] {
    return [...this.client.resources<T>(typeUrl).values()].map((h: HeldResource<T>) => h.resource);
  }

  /** Names listeners and clusters reference that have not arrived yet. */
  #missing(): string[] {
    const routes = this.client.resources(TypeUrl.RouteConfiguration);
    const assignments = this.client.resources(TypeUrl.ClusterLoadAssignment);
    const secrets = this.secrets();
    return [
      ...[...rdsNamesOf(this.#held<EnvoyListener>(TypeUrl.Listener))].filter((n) => !routes.has(n)),
      ...[...edsNamesOf(this.#held<EnvoyCluster>(TypeUrl.Cluster))].filter((n) => !assignments.has(n)),
      ...[...this.#secretNames()].filter((n) => !secrets.has(n) && !this.#unserved.has(n)),
    ];
  }

  #publishWhenWarm(): void {
    if (this.#missing().length === 0) {
      this.#publish();
      return;
    }
    this.#warmingTimer ??= setTimeout(() => {
      const secrets = this.secrets();
      for (const name of this.#secretNames()) if (!secrets.has(name)) this.#unserved.add(name);
      this.#publish();
    }, WARMING_TIMEOUT_MS).unref();
  }

  #publish(): void {
    clearTimeout(this.#warmingTimer);
    this.#warmingTimer = undefined;
    this.#current = {
      config: proxyConfig({
        listeners: this.#held(TypeUrl.Listener),
        routes: this.#held(TypeUrl.RouteConfiguration),
        clusters: this.#held(TypeUrl.Cluster),
        loadAssignments: this.#held(TypeUrl.ClusterLoadAssignment),
      }),
      generation: ++this.#generation,
      lastUpdated: new Map(this.#lastUpdated),
    };
    this.emit('snapshot', this.#current);
  }
}
