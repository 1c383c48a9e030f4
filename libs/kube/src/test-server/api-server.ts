import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import type { KubeConfig } from '@kubernetes/client-node';

import { AdmissionWebhooks, type WebhookServiceResolver } from './admission-webhooks.js';
import { ADMIN_USER, Authenticator, newStaticToken } from './authentication.js';
import { builtinHooks } from './builtin-defaults.js';
import { BUILTIN_RESOURCE_TYPES, STORAGE } from './builtin-resources.js';
import { bootstrapNamespace, crdLifecycleHooks, namespaceLifecycleHooks } from './cluster-lifecycle.js';
import { kubeConfigObject, kubeconfigYaml } from './kubeconfig.js';
import { ObjectStore } from './object-store.js';
import { createRequestHandler, type Authorizer, type RecordedRequest } from './request-handler.js';
import { ResourceCatalog } from './resource-types.js';
import { DEFAULT_ISSUER, ServiceAccountTokenIssuer } from './service-account-tokens.js';
import { createTestCertificateAuthority } from './tls-material.js';
import { ensureServiceAccount, issueToken, type ServiceAccountTokenOptions } from './token-endpoints.js';
import { WatchStreams } from './watch-streams.js';
import { WritePipeline, type ResourceHooks } from './write-pipeline.js';

/**
 * A Kubernetes API server for tests — a test double, in memory, in this process — speaking the real
 * REST protocol over HTTPS on 127.0.0.1 so that `@kubernetes/client-node`, kubectl and our own
 * controllers can be tested against it. See libs/kube/README.md for what it implements.
 */
export interface TestApiServerOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one, kept across `stop()`/`start()`. */
  readonly port?: number;
  /** Serving certificate and the CA that signed it; a fresh test CA issues one when omitted. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
  /** Reported by `/version` (default 1.32.0). */
  readonly kubernetesVersion?: string;
  /** Change events remembered for watch resumption (default 1000); older revisions get 410. */
  readonly watchHistorySize?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 60 s, as kube-apiserver). */
  readonly bookmarkIntervalMs?: number;
  /** Server-side end of watches that set no `timeoutSeconds` (default: never). */
  readonly watchTimeoutSeconds?: number;
  /** Where a webhook's `clientConfig.service` is reachable; without it such webhooks cannot be called. */
  readonly resolveWebhookService?: WebhookServiceResolver;
  /** Authorization decision per request (default: every authenticated user may do everything). */
  readonly authorize?: Authorizer;
  /** Called after every request, for tests that assert on client behaviour (relists, backoff). */
  readonly onRequest?: (request: RecordedRequest) => void;
  /** `iss` of service-account tokens (default `https://kubernetes.default.svc.cluster.local`). */
  readonly serviceAccountIssuer?: string;
  /** Audiences that mean "this API server" (default: the issuer). */
  readonly apiAudiences?: readonly string[];
}

export interface TestUser {
  readonly username: string;
  readonly token: string;
}

export interface TestApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  /** Bearer token of `kubernetes-admin` (group `system:masters`). */
  readonly adminToken: string;
  readonly admin: TestUser;
  /** The current global revision. */
  readonly resourceVersion: string;
  /** Watches currently streaming. */
  readonly openWatches: number;
  /** A client configuration for `user` (the admin by default). */
  kubeConfig(user?: TestUser): KubeConfig;
  kubeConfigYaml(user?: TestUser): string;
  /** A user with a static token (authenticated; authorized as `authorize` decides). */
  addUser(username: string, groups?: readonly string[]): TestUser;
  /** A signed token for the ServiceAccount, created if missing (its namespace must exist). */
  issueServiceAccountToken(
    namespace: string,
    name: string,
    options?: ServiceAccountTokenOptions,
  ): Promise<string>;
  /** Forgets the watch history: clients resuming from any earlier revision get 410 Expired. */
  compact(): void;
  /** Ends every open watch (clients resume from their last revision). */
  closeWatches(): void;
  /** Stops listening and drops every connection; state is kept. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function mergeHooks(...sets: (ResourceHooks | undefined)[]): ResourceHooks {
  return Object.assign({}, ...sets.filter(Boolean)) as ResourceHooks;
}

export async function startTestApiServer(options: TestApiServerOptions = {}): Promise<TestApiServer> {
  const tls =
    options.tls ??
    (() => {
      const ca = createTestCertificateAuthority();
      return {
        ...ca.issueServingCertificate(['127.0.0.1', 'localhost', 'kubernetes.default.svc']),
        caPem: ca.caPem,
      };
    })();
  const store = new ObjectStore(options.watchHistorySize ?? 1000);
  const catalog = new ResourceCatalog();
  catalog.add(BUILTIN_RESOURCE_TYPES);
  for (const name of BOOTSTRAP_NAMESPACES) bootstrapNamespace(store, name);

  const issuerUrl = options.serviceAccountIssuer ?? DEFAULT_ISSUER;
  const tokenIssuer = await ServiceAccountTokenIssuer.create(issuerUrl);
  const authenticator = new Authenticator(store, tokenIssuer, options.apiAudiences ?? [issuerUrl]);
  const adminToken = newStaticToken();
  authenticator.addStaticToken(adminToken, ADMIN_USER);

  const hooks = builtinHooks();
  hooks.set(STORAGE.namespaces, mergeHooks(hooks.get(STORAGE.namespaces), namespaceLifecycleHooks(store)));
  hooks.set(STORAGE.crds, crdLifecycleHooks(store, catalog));
  const pipeline = new WritePipeline(
    store,
    new AdmissionWebhooks(store, options.resolveWebhookService),
    hooks,
  );
  const watches = new WatchStreams(store, {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    defaultTimeoutSeconds: options.watchTimeoutSeconds,
  });

  let port = options.port ?? 0;
  const handler = createRequestHandler({
    catalog,
    services: { store, pipeline, watches, authenticator, tokenIssuer },
    kubernetesVersion: options.kubernetesVersion ?? '1.32.0',
    serverAddress: () => `127.0.0.1:${port}`,
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });

  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const listen = async () => {
    const next = createServer({ cert: tls.certPem, key: tls.keyPem }, handler);
    next.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    port = (next.address() as AddressInfo).port;
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    watches.closeAll();
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await listen();

  const admin: TestUser = { username: ADMIN_USER.username, token: adminToken };
  const kubeconfigParameters = (user: TestUser) => ({
    server: `https://127.0.0.1:${port}`,
    caPem: tls.caPem,
    username: user.username,
    token: user.token,
  });
  return {
    get url() {
      return `https://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    caPem: tls.caPem,
    adminToken,
    admin,
    get resourceVersion() {
      return String(store.currentRevision);
    },
    get openWatches() {
      return watches.count;
    },
    kubeConfig: (user = admin) => kubeConfigObject(kubeconfigParameters(user)),
    kubeConfigYaml: (user = admin) => kubeconfigYaml(kubeconfigParameters(user)),
    addUser(username, groups = []) {
      const token = newStaticToken();
      authenticator.addStaticToken(token, { username, groups: [...groups, 'system:authenticated'] });
      return { username, token };
    },
    async issueServiceAccountToken(namespace, name, tokenOptions = {}) {
      const account = ensureServiceAccount(store, namespace, name);
      const audiences = tokenOptions.audiences ?? authenticator.apiAudiences;
      const seconds = tokenOptions.expirationSeconds ?? 3600;
      return (await issueToken(store, tokenIssuer, account, audiences, seconds, tokenOptions.podName)).token;
    },
    compact: () => store.compact(),
    closeWatches: () => watches.closeAll(),
    stop,
    start: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}
