import type { experimental } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

/**
 * In-memory certificates for grpc-js's certificate-provider credentials, so a renewed certificate is
 * used without recreating the server or channel: istiod's secure port serves its own certificate with
 * it, and the proxy's xDS channel presents its current workload certificate on every reconnect.
 * `update` swaps them in (renewal, root rotation).
 */
export class InMemoryCertificateProvider implements CertificateProvider {
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly caListeners = new Set<CaListener>();

  constructor(private current: { certificateChainPem: string; privateKeyPem: string; rootsPem: string }) {}

  update(next: { certificateChainPem: string; privateKeyPem: string; rootsPem: string }): void {
    this.current = next;
    for (const listener of this.identityListeners) listener(this.identity());
    for (const listener of this.caListeners) listener(this.roots());
  }

  // The first value is delivered asynchronously, as grpc-js expects of providers: it registers its
  // watcher only after subscribing, and would miss a synchronous first update.
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identity()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.roots()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  private identity() {
    return {
      certificate: Buffer.from(this.current.certificateChainPem),
      privateKey: Buffer.from(this.current.privateKeyPem),
    };
  }

  private roots() {
    return { caCertificate: Buffer.from(this.current.rootsPem) };
  }
}
