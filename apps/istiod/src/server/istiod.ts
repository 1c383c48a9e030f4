import { experimental, Server, ServerCredentials } from '@grpc/grpc-js';
import {
  caServiceDefinition,
  InMemoryCertificateProvider,
  renewalTime,
  type CertificateAuthority,
} from '@mesh/pki';
import type { ConfigStore } from '@mesh/policy';
import { MeshSnapshot } from '@mesh/registry';
import { AdsServer, meshSettingsOf, PUSH_ORDER, TypeUrl, type ConnectionStatus } from '@mesh/xds';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';

import { certificateServiceHandlers } from '../ca/certificate-service.js';
import { loadCa, type LoadedCa } from '../ca/ca-material.js';
import { CaSource } from '../ca/ca-source.js';
import { startConfigSources } from '../config/config-sources.js';
import { MeshConfigSource } from '../config/mesh-config-source.js';
import type { IstiodOptions } from '../options.js';
import type { Authenticator } from '../security/authenticator.js';
import { ClientCertAuthenticator } from '../security/client-cert-authenticator.js';
import { debugAuthorization } from '../security/debug-authorization.js';
import { JoinTokenAuthenticator } from '../security/join-token-authenticator.js';
import { KubeTokenAuthenticator } from '../security/kube-token-authenticator.js';
import { authorizeXdsClient } from '../security/xds-authorization.js';
import { handleDebug } from '../debug/debug-endpoints.js';
import { registerCaMetrics } from './ca-metrics.js';
import { readRegistrations, RegistrationFile } from '../registry/registration-file.js';
import { SelfRegistration } from '../registry/self-registration.js';
import { MeshResourceSource } from '../xds/mesh-resource-source.js';
import { PushDebouncer } from '../xds/push-debouncer.js';
import { serviceAccountsSignature } from '../xds/service-accounts.js';
import { startMonitoringServer } from './monitoring-server.js';
import { servingCertificate } from './serving-certificate.js';
import { startKubernetesControlPlane } from '../webhook/kubernetes-control-plane.js';
import { registerXdsMetrics } from './xds-metrics.js';

export interface RunningIstiod {
  /** `xds` is null when the plaintext port is off, `webhook` when the webhook port is. */
  ports: { xds: number | null; secureXds: number; monitoring: number; webhook: number | null };
  /** The CA in force (a rotated root or a reloaded plug-in CA replaces it). */
  readonly ca: CertificateAuthority;
  config: ConfigStore;
  /** Istio's MeshConfig: the one in force and any invalid version kept out. */
  meshConfig: MeshConfigSource;
  /** The snapshot proxies are served from right now. */
  snapshot(): MeshSnapshot;
  xdsConnections(): ConnectionStatus[];
  close(): Promise<void>;
}

/** Kinds whose changes only move endpoints (EDS), as Istio's incremental EDS push treats them. */
const ENDPOINT_KINDS = new Set(['WorkloadEntry', 'Pod', 'EndpointSlice', 'Endpoints']);

async function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/**
 * The composition root of the control plane: xDS and the CA (with its authenticators) on the TLS port
 * (15012, serving `istiod.<ns>.svc`), config-only xDS on the plaintext port (15010, loopback by
 * default), and the monitoring port (15014).
 */
export async function startIstiod(options: IstiodOptions, logger: Logger): Promise<RunningIstiod> {
  // Config first: MeshConfig may name the trust domain, which the CA and every identity check use.
  const sources = await startConfigSources(options, logger);
  const config = sources.store;
  let meshConfig: MeshConfigSource | undefined;
  let loaded: LoadedCa;
  let trustDomain: string;
  try {
    meshConfig = await MeshConfigSource.start(
      {
        file: options.meshConfigFile,
        store: config,
        istioNamespace: options.istioNamespace,
        revision: options.revision,
      },
      logger,
    );
    trustDomain = options.trustDomain ?? meshConfig.current.trustDomain;
    loaded = await loadCa({ ...options, trustDomain });
  } catch (err) {
    meshConfig?.close();
    await sources.close();
    throw err;
  }
  const mesh = meshConfig;
  const caSource = new CaSource(loaded, { options, logger });
  const ca = () => caSource.current();
  logger.info(
    { source: loaded.source, root: loaded.ca.root.subject, trustDomain },
    'certificate authority ready',
  );

  const authenticators: Authenticator[] = [
    new ClientCertAuthenticator(ca),
    new JoinTokenAuthenticator(options.stateDir, trustDomain, options.maxJoinTokenTtlSeconds),
  ];
  if (options.kubeconfig || process.env['KUBERNETES_SERVICE_HOST']) {
    authenticators.push(KubeTokenAuthenticator.fromEnvironment(trustDomain, options.kubeconfig));
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const caMetrics = registerCaMetrics(registry);
  caMetrics.caLoaded(ca());
  const handlers = certificateServiceHandlers({
    ca,
    authenticators,
    defaultTtlSeconds: options.workloadCertTtlSeconds,
    logger,
    onIssued: caMetrics.csr,
  });

  // Config → immutable snapshot → generated resources; a (debounced) change rebuilds the snapshot and
  // pushes every type, and each stream sends only what changed for its client. An invalid MeshConfig
  // counts as one more invalid object.
  const xdsMetrics = registerXdsMetrics(
    registry,
    () => config.status().invalid.length + (mesh.status().invalid.length > 0 ? 1 : 0),
  );
  // MeshConfig's settings for generation, under the trust domain the CA was started with.
  const meshSettings = () => ({ ...meshSettingsOf(mesh.current), trustDomain });
  // Proxies that connect with workload metadata become endpoints (local platform, VMs).
  // The push runs from a timer, after `source` and `ads` below exist.
  // Endpoint-only changes push EDS alone: listeners, routes and clusters are not regenerated, unless the
  // service accounts behind a service changed (clusters carry them as the SANs mTLS verifies).
  let configChanged = false;
  let accounts = '';
  const debouncer = new PushDebouncer(() => {
    const next = snapshot();
    source.update(next, meshSettings());
    const nextAccounts = serviceAccountsSignature(next);
    const types = configChanged
      ? PUSH_ORDER
      : nextAccounts !== accounts
        ? [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]
        : [TypeUrl.ClusterLoadAssignment];
    accounts = nextAccounts;
    ads.push(types.map((typeUrl) => ({ typeUrl })));
    xdsMetrics.pushed(configChanged ? 'config' : 'endpoint');
    configChanged = false;
  }, options.pushDebounceMs);
  // Endpoints proxies registered with the previous run serve until those proxies reconnect (bounded).
  const registrationFile = new RegistrationFile(options.stateDir, (message) => logger.error(message));
  const restored =
    options.reconnectGraceMs > 0
      ? readRegistrations(options.stateDir, trustDomain, (message) => logger.warn(message))
      : [];
  if (restored.length > 0)
    logger.info(
      { registrations: restored.length, graceMs: options.reconnectGraceMs },
      'restored the endpoint registrations of the previous run until their proxies reconnect',
    );
  const registered = new SelfRegistration({
    onChange: () => debouncer.changed(),
    onRefused: (refusal) => logger.warn(refusal, 'endpoint registration refused'),
    restored,
    restoredGraceMs: options.reconnectGraceMs,
    onRestoredExpired: (node) =>
      logger.info({ node }, 'restored endpoint removed: its proxy did not reconnect within the grace period'),
    persist: (registrations) => registrationFile.save(registrations),
  });
  const snapshot = () => new MeshSnapshot([...config.list()], registered.list());
  const initial = snapshot();
  accounts = serviceAccountsSignature(initial);
  const source = new MeshResourceSource(
    initial,
    (what, error) => logger.error({ err: error.message }, `config left out of the push: ${what}`),
    meshSettings(),
  );
  const ads = new AdsServer({
    source,
    logger,
    authorize: authorizeXdsClient(trustDomain),
    hooks: {
      ...xdsMetrics.hooks,
      onConnect: (connection) => {
        xdsMetrics.hooks.onConnect?.(connection);
        registered.connected(connection);
      },
      onDisconnect: (connection, reason) => {
        xdsMetrics.hooks.onDisconnect?.(connection, reason);
        registered.disconnected(connection);
      },
    },
  });
  config.subscribe((event) => {
    xdsMetrics.configChanged(event);
    if (!ENDPOINT_KINDS.has(event.config.kind)) configChanged = true;
    debouncer.changed();
  });
  mesh.onChange((next) => {
    if (options.trustDomain === undefined && next.trustDomain !== trustDomain)
      logger.warn(
        { meshConfig: next.trustDomain, inForce: trustDomain },
        'MeshConfig trustDomain changed; it takes effect when istiod restarts (its CA and identity checks are fixed at start)',
      );
    configChanged = true;
    debouncer.changed();
  });

  // Every message is read whole before anyone looks at it, authenticated or not: cap it as Istio does.
  const grpcOptions = { 'grpc.max_receive_message_length': options.grpcMaxReceiveBytes };
  // The plaintext port serves config only, as Istio's 15010: no CA (join tokens would cross the
  // network in clear text) and no endpoint registration (nothing there is proven).
  const plaintext = new Server(grpcOptions);
  ads.addTo(plaintext);
  const secure = new Server(grpcOptions);
  secure.addService(caServiceDefinition, handlers);
  ads.addTo(secure);

  const serving = servingCertificate(ca(), options.istioNamespace, options.revision);
  const certificates = new InMemoryCertificateProvider(serving);
  // Renewed at half its life, and at once when the CA changes (Istio regenerates istiod's DNS
  // certificate with the new root): TLS clients of 15012 and the webhooks then get a chain to it.
  const reissueServing = (why: string) => {
    clearTimeout(renewTimer);
    const next = servingCertificate(ca(), options.istioNamespace, options.revision);
    certificates.update(next);
    kube.updateCertificate(next);
    logger.info({ notAfter: next.notAfter }, `${why} istiod serving certificate`);
    renewTimer = renew(next.notBefore, next.notAfter);
  };
  const renew = (notBefore: Date, notAfter: Date): NodeJS.Timeout =>
    setTimeout(
      () => reissueServing('renewed'),
      Math.max(1000, renewalTime({ notBefore, notAfter }).getTime() - Date.now()),
    ).unref();
  let renewTimer = renew(serving.notBefore, serving.notAfter);

  const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const xds =
    options.xdsPort === null
      ? null
      : await bind(
          plaintext,
          hostPort(options.xdsListenAddress, options.xdsPort),
          ServerCredentials.createInsecure(),
        );
  const secureXds = await bind(
    secure,
    hostPort(options.listenAddress, options.secureXdsPort),
    experimental.createCertificateProviderServerCredentials(certificates, certificates, false),
  );
  const kube = await startKubernetesControlPlane({
    options,
    store: config,
    meshConfig: () => mesh.current,
    rootPem: () => ca().trustBundle.toPem(),
    serving,
    logger,
  });
  const monitoring = await startMonitoringServer({
    host: options.listenAddress,
    port: options.monitoringPort,
    registry,
    debug: (path, query) =>
      handleDebug(
        { ads, config, meshConfig: () => mesh.status(), snapshot: () => source.current, source },
        path,
        query,
      ),
    authorizeDebug: debugAuthorization(authenticators, options.istioNamespace),
    readinessNotes: () => kube.readinessNotes(),
  });
  caSource.onChange((next) => {
    caMetrics.caLoaded(next);
    reissueServing('reissued with the new CA');
    kube.rootChanged();
  });
  caSource.start();
  monitoring.setReady(true);
  logger.info(
    {
      xdsPort: xds,
      secureXdsPort: secureXds,
      monitoringPort: monitoring.port,
      webhookPort: kube.webhookPort,
    },
    'istiod is serving',
  );

  return {
    ports: { xds, secureXds, monitoring: monitoring.port, webhook: kube.webhookPort },
    get ca() {
      return caSource.current();
    },
    config,
    meshConfig: mesh,
    snapshot: () => source.current,
    xdsConnections: () => ads.status(),
    close: async () => {
      caSource.close();
      clearTimeout(renewTimer);
      debouncer.stop();
      registered.stop();
      await registrationFile.flushed();
      mesh.close();
      await sources.close();
      ads.closeAll();
      monitoring.setReady(false);
      await kube.close();
      plaintext.forceShutdown();
      secure.forceShutdown();
      await monitoring.close();
    },
  };
}
