import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { credentials as grpcCredentials, experimental } from '@grpc/grpc-js';
import { InMemoryCertificateProvider } from '@mesh/pki';
import type { Logger } from 'pino';

import { startAdminServers } from './admin/admin-servers.js';
import { InboundConnectionLog } from './admin/inbound-connections.js';
import { AgentError, WorkloadCertificateAgent, type WorkloadCertificate } from './agent/index.js';
import { ClusterManager, type EndpointOverride } from './clusters/cluster-manager.js';
import type { HttpDependencies } from './http/http-stream-context.js';
import { HttpServers } from './http/http-servers.js';
import { UpstreamPools } from './http/upstream-pools.js';
import { HttpProxyListener } from './listeners/http-proxy-listener.js';
import { LocalCallers } from './listeners/local-callers.js';
import { RouterListeners } from './listeners/router-listeners.js';
import { TrafficListeners } from './listeners/traffic-listeners.js';
import type { ProxyOptions } from './options.js';
import { AccessLogWriter, CertificateExpiryStats, DownstreamStats, IstioMetrics } from './telemetry/index.js';
import { TrafficReporter } from './telemetry/traffic-reporter.js';
import { SdsSecrets } from './tls/sds-secrets.js';
import { WorkloadTls } from './tls/workload-tls.js';
import { ProxyConfigState } from './xds/proxy-config-state.js';
import { proxyNode } from './xds/proxy-node.js';

/**
 * The sidecar: the agent gets the workload certificate first (nothing is served without it), the xDS
 * client follows istiod, and the listeners run the Envoy config it accepts. When istiod goes away the
 * last accepted config keeps serving; when it comes back the client reconnects and converges.
 */
export class SidecarProxy {
  #certificateIssuedAt: Date | undefined;
  #adminServers: Server[] = [];
  #httpProxy: HttpProxyListener | undefined;
  #stopping = false;

  private constructor(
    readonly options: ProxyOptions,
    private readonly logger: Logger,
    readonly agent: WorkloadCertificateAgent,
    readonly state: ProxyConfigState,
    readonly clusters: ClusterManager,
    readonly pools: UpstreamPools,
    readonly traffic: TrafficListeners,
    private readonly servers: HttpServers,
    readonly metrics: IstioMetrics,
    private readonly tls: WorkloadTls,
  ) {}

  static async start(options: ProxyOptions, logger: Logger, onQuit: () => void): Promise<SidecarProxy> {
    const node = proxyNode(options);
    const istiodNames = options.istiodServerNames ?? {
      xds: `istiod.${options.istioNamespace}.svc`,
      ca: `istiod.${options.istioNamespace}.svc`,
    };
    const agent = new WorkloadCertificateAgent({
      caAddress: options.caAddress,
      // The CA is reached only over TLS: the token is a bearer secret, and the first certificate must
      // come from the real istiod, whose root the platform mounted for us.
      credentials: grpcCredentials.createSsl(await readCaRoot(options.caRootCertFile)),
      channelOptions: { 'grpc.ssl_target_name_override': istiodNames.ca },
      caServerName: istiodNames.ca,
      renewalAddress: options.caRenewalAddress,
      istioNamespace: options.istioNamespace,
      identity: {
        trustDomain: options.trustDomain,
        namespace: options.namespace,
        serviceAccount: options.serviceAccount,
      },
      token: async () => (await readFile(options.tokenFile, 'utf8')).trim(),
    });
    const certificate = await agent.start();
    const xdsCertificates = new InMemoryCertificateProvider(certificate);
    logger.info(
      { identity: certificate.identity, notAfter: certificate.notAfter },
      'workload certificate issued',
    );

    const state = new ProxyConfigState({
      target: options.xdsAddress,
      node,
      protocol: options.xdsProtocol,
      // A restarted istiod is found within seconds; the last config serves meanwhile.
      backoff: { initialMs: 500, maxMs: 5_000 },
      ...(options.xdsTls ? xdsCredentials(xdsCertificates, istiodNames.xds) : {}),
      logger,
    });
    // A gateway's kubernetes:// credentials are the SDS secrets istiod sends on the same stream.
    const tls = new WorkloadTls(
      options.capture === 'router' ? new SdsSecrets(() => state.secrets()) : undefined,
    );
    tls.update(certificate);
    const clusters = new ClusterManager(explicitInboundOverride(options));
    const pools = new UpstreamPools(tls);
    const metrics = new IstioMetrics();
    new CertificateExpiryStats(metrics.registry, () => tls.certificate);
    const reporter = new TrafficReporter(
      node.id,
      {
        NAME: options.podName,
        NAMESPACE: options.namespace,
        WORKLOAD_NAME: String(node.metadata?.['WORKLOAD_NAME'] ?? options.podName),
        SERVICE_ACCOUNT: options.serviceAccount,
        CLUSTER_ID: String(node.metadata?.['CLUSTER_ID'] ?? 'Kubernetes'),
        LABELS: options.labels,
        principal: certificate.identity.replace(/^spiffe:\/\//, ''),
      },
      metrics,
      options.accessLogFile ? new AccessLogWriter(options.accessLogFile) : undefined,
    );
    const deps: HttpDependencies = {
      snapshot: () => state.current,
      clusters,
      pools,
      reporter,
      downstream: { limits: options.downstreamLimits, stats: new DownstreamStats(metrics.registry) },
    };
    const servers = new HttpServers(deps);
    const traffic = new TrafficListeners({
      deps,
      servers,
      tls,
      inbound: new InboundConnectionLog(),
      log: (fields, message) => logger.debug(fields, message),
    });
    const proxy = new SidecarProxy(
      options,
      logger,
      agent,
      state,
      clusters,
      pools,
      traffic,
      servers,
      metrics,
      tls,
    );
    agent.on('issued', (renewed) => {
      xdsCertificates.update(renewed);
      proxy.#onCertificate(renewed);
    });
    agent.on('renewal-failed', ({ error, retryInMs }) =>
      logger.warn(
        { error: error.message, retryInMs },
        'certificate renewal failed; serving the current certificate',
      ),
    );
    state.on('snapshot', (snapshot) => {
      clusters.update(snapshot.config);
      pools.retain(clusters.endpointKeys());
      logger.info(
        {
          generation: snapshot.generation,
          listeners: snapshot.config.listeners.length,
          clusters: snapshot.config.clusters.size,
        },
        'configuration applied',
      );
    });
    state.on('rejected', ({ typeUrl, message }) =>
      logger.warn(
        { typeUrl, error: message },
        'configuration rejected (NACK); keeping the last good configuration',
      ),
    );
    state.client.on('disconnected', ({ reason, retryInMs }) =>
      logger.warn({ reason, retryInMs }, 'lost istiod; serving the last configuration'),
    );
    state.client.on('connected', () => logger.info({ xds: options.xdsAddress }, 'connected to istiod'));
    proxy.#certificateIssuedAt = new Date();
    await proxy.#listen(deps, onQuit);
    state.start();
    return proxy;
  }

  async #listen(deps: HttpDependencies, onQuit: () => void): Promise<void> {
    const { options, traffic } = this;
    const host = options.bindAddress;
    let callers: LocalCallers | undefined;
    if (options.capture === 'transparent') {
      await traffic.listenVirtualOutbound(host, options.ports.outbound);
      await traffic.listenVirtualInbound(host, options.ports.inbound);
    } else if (options.capture === 'router') {
      const router = new RouterListeners(host, traffic, (port, error) =>
        this.logger.warn(
          { port, error: error.message },
          'cannot bind a gateway listener; retried on the next config',
        ),
      );
      this.state.on('snapshot', (snapshot) => void router.apply(snapshot.config.listeners));
    } else {
      // Every local process shares the loopback the forward proxy and admin port listen on.
      callers = await LocalCallers.start(options.localCallers);
      for (const port of options.inboundPorts.keys()) await traffic.listenInboundPort(host, port);
      this.#httpProxy = new HttpProxyListener(deps, traffic, options.namespace, callers);
      await this.#httpProxy.listen(host, options.ports.outbound);
    }
    this.#adminServers = await startAdminServers(
      {
        notReadyReason: () => this.notReadyReason(),
        dumpSources: () => ({
          node: proxyNode(options),
          client: this.state.client,
          snapshot: this.state.current,
          ...(this.tls.certificate ? { certificate: this.tls.certificate } : {}),
          ...(this.#certificateIssuedAt ? { certificateIssuedAt: this.#certificateIssuedAt } : {}),
        }),
        certificate: () => this.tls.certificate,
        controlPlane: () => ({
          connected: this.state.client.connected,
          synced: this.state.synced,
          generation: this.state.current.generation,
          types: this.state.client.status().map((s) => ({
            type: s.typeUrl.slice(s.typeUrl.lastIndexOf('.') + 1),
            resources: s.resources,
            ackedVersion: s.ackedVersion,
            ...(s.lastNack
              ? { lastNack: { version: s.lastNack.version, message: s.lastNack.message, at: s.lastNack.at } }
              : {}),
          })),
        }),
        clusters: this.clusters,
        upstreamConnections: this.pools.history,
        inboundConnections: this.traffic.inbound,
        metrics: this.metrics,
        logLevel: {
          get: () => this.logger.level,
          set: (level) => {
            if (!(level in this.logger.levels.values)) return false;
            this.logger.level = level;
            return true;
          },
        },
        quit: onQuit,
      },
      {
        adminPort: options.ports.admin,
        ...(callers ? { adminCallers: callers } : {}),
        statusHost: host,
        statusPort: options.ports.status,
        statsPort: options.ports.stats,
      },
    );
  }

  /** The admin port as bound (`--admin-port 0` lets the kernel choose one). */
  get adminPort(): number {
    return (this.#adminServers[0]?.address() as AddressInfo | null)?.port ?? this.options.ports.admin;
  }

  #onCertificate(certificate: WorkloadCertificate): void {
    this.tls.update(certificate);
    this.#certificateIssuedAt = new Date();
    this.logger.info(
      {
        identity: certificate.identity,
        notAfter: certificate.notAfter,
        rootChanged: certificate.rootChanged,
      },
      'workload certificate renewed',
    );
  }

  notReadyReason(): string | undefined {
    if (this.#stopping) return 'draining';
    if (!this.tls.certificate) return 'no workload certificate yet';
    if (!this.state.synced) return 'configuration not received from istiod yet';
    return undefined;
  }

  /** Envoy's drain on SIGTERM: stop accepting, let open connections finish for up to `drainSeconds`. */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.traffic.stopAccepting();
    const deadline = Date.now() + this.options.drainSeconds * 1000;
    for (;;) {
      this.#httpProxy?.close();
      this.servers.drain();
      if (this.traffic.openConnections === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.#httpProxy?.close(true);
    this.traffic.destroyOpenConnections();
    this.agent.stop();
    this.state.stop();
    await this.pools.close();
    for (const server of this.#adminServers) {
      server.close();
      server.closeAllConnections();
    }
  }
}

/**
 * xDS over istiod's TLS port, authenticated by the workload certificate (as Istio's agent does). The
 * provider follows renewals, so a reconnect a day later presents the current certificate.
 */
function xdsCredentials(certificates: InMemoryCertificateProvider, istiodName: string) {
  return {
    credentials: experimental.createCertificateProviderChannelCredentials(certificates, certificates),
    channelOptions: { 'grpc.ssl_target_name_override': istiodName },
  };
}

async function readCaRoot(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new AgentError(
      'AGENT_START_FAILED',
      `cannot read istiod's root certificate ${file} (--ca-root-cert, CA_ROOT_CA): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
}

/** Explicit mode: inbound clusters reach the application where it really listens (`--inbound`). */
function explicitInboundOverride(options: ProxyOptions): EndpointOverride | undefined {
  if (options.capture !== 'explicit') return undefined;
  return (cluster, _host, port) =>
    cluster.startsWith('inbound|') || cluster === 'InboundPassthroughCluster'
      ? options.inboundPorts.get(port)
      : undefined;
}
