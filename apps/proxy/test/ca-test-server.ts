import {
  experimental,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import {
  caServiceDefinition,
  createCsr,
  createSelfSignedRoot,
  encodePem,
  generateKeyPair,
  type TrustBundle,
  type CertificateAuthority,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from '@mesh/pki';

export const TOKEN = 'fixed-test-token';
export const WORKLOAD = 'spiffe://cluster.local/ns/default/sa/frontend';

export interface RecordedCall {
  port: 'plaintext' | 'secure';
  credential: 'token' | 'certificate';
  identity: string;
}

/**
 * A real CA gRPC server for the agent tests: a plaintext port authenticating the fixed bearer token
 * (as the workload WORKLOAD), and a TLS port that requests, without requiring, a client certificate
 * and authenticates it as istiod's ClientCertAuthenticator does. Time comes from `now`, so tests can
 * run the agent on a manual clock.
 */
export class TestCa {
  ca: CertificateAuthority;
  /** Roots accepted for client certificates (old and new during a root rotation). */
  trusted: TrustBundle;
  readonly calls: RecordedCall[] = [];
  /** Answer every call with UNAVAILABLE (the CA is down). */
  unavailable = false;
  /** Refuse client certificates on the secure port (forcing the token fallback). */
  refuseCertificates = false;
  /** Sign certificates for this identity (and a key of our own) instead of the caller's, `times` times. */
  misissue: { as: string; times: number } | undefined;
  plaintextAddress = '';
  secureAddress = '';
  readonly #servers: Server[] = [];

  private constructor(private readonly now: () => Date) {
    this.ca = TestCa.newRoot('Root A', now());
    this.trusted = this.ca.trustBundle;
  }

  static newRoot(commonName: string, now: Date): CertificateAuthority {
    return createSelfSignedRoot({ trustDomain: 'cluster.local', commonName, clockSkewSeconds: 0, now });
  }

  /** `dnsNames`: the names of its serving certificate (a revisioned istiod's, say). */
  static async start(
    now: () => Date = () => new Date(),
    dnsNames: string[] = ['istiod.istio-system.svc'],
  ): Promise<TestCa> {
    const testCa = new TestCa(now);
    const serving = testCa.ca.issueServerCertificate({
      dnsNames,
      ipAddresses: ['127.0.0.1'],
      ttlSeconds: 24 * 3600,
    });
    const identity = {
      certificate: Buffer.from(serving.chainPem.join('')),
      privateKey: Buffer.from(serving.privateKeyPem),
    };
    const roots = { caCertificate: Buffer.from(testCa.trusted.toPem()) };
    // grpc-js subscribes before it watches: deliver the first value asynchronously.
    const provider: experimental.CertificateProvider = {
      addIdentityCertificateListener: (listener) => queueMicrotask(() => listener(identity)),
      removeIdentityCertificateListener: () => undefined,
      addCaCertificateListener: (listener) => queueMicrotask(() => listener(roots)),
      removeCaCertificateListener: () => undefined,
    };
    testCa.plaintextAddress = await testCa.#listen('plaintext', ServerCredentials.createInsecure());
    testCa.secureAddress = await testCa.#listen(
      'secure',
      experimental.createCertificateProviderServerCredentials(provider, provider, false),
    );
    return testCa;
  }

  /** Signs with a new self-signed root from now on; both roots stay trusted for client certificates. */
  rotateRoot(): CertificateAuthority {
    this.ca = TestCa.newRoot('Root B', this.now());
    this.trusted = this.ca.trustBundle.merge(this.trusted);
    return this.ca;
  }

  async close(): Promise<void> {
    for (const server of this.#servers) server.forceShutdown();
  }

  async #listen(port: RecordedCall['port'], credentials: ServerCredentials): Promise<string> {
    const server = new Server();
    server.addService(caServiceDefinition, {
      CreateCertificate: (
        call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
        callback: sendUnaryData<IstioCertificateResponse>,
      ) => this.#handle(port, call, callback),
    });
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.#servers.push(server);
    return `127.0.0.1:${bound}`;
  }

  #handle(
    port: RecordedCall['port'],
    call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
    callback: sendUnaryData<IstioCertificateResponse>,
  ): void {
    const fail = (code: status, details: string) =>
      callback(Object.assign(new Error(details), { code, details }));
    if (this.unavailable) return fail(status.UNAVAILABLE, 'the CA is down');
    const now = this.now();
    const peer = call.getAuthContext().sslPeerCertificate;
    let caller: RecordedCall;
    if (peer?.raw) {
      if (this.refuseCertificates) return fail(status.UNAUTHENTICATED, 'client certificates refused');
      try {
        const { leaf } = this.trusted.verifyChain(encodePem('CERTIFICATE', peer.raw), { now });
        caller = { port, credential: 'certificate', identity: leaf.uris[0]! };
      } catch (err) {
        return fail(status.UNAUTHENTICATED, (err as Error).message);
      }
    } else if (call.metadata.get('authorization')[0] === `Bearer ${TOKEN}`) {
      caller = { port, credential: 'token', identity: WORKLOAD };
    } else {
      return fail(status.UNAUTHENTICATED, 'no valid credential');
    }
    this.calls.push(caller);
    const ttlSeconds = Number(call.request.validity_duration);
    const misissueAs = this.misissue && this.misissue.times-- > 0 ? this.misissue.as : undefined;
    try {
      const csrPem =
        misissueAs === undefined
          ? call.request.csr
          : createCsr({ privateKey: generateKeyPair().privateKeyPem, identity: misissueAs });
      const identity = misissueAs ?? caller.identity;
      const issued = this.ca.issueWorkloadCertificate({ csrPem, identity, ttlSeconds, now });
      callback(null, { cert_chain: issued.chainPem });
    } catch (err) {
      fail(status.PERMISSION_DENIED, (err as Error).message);
    }
  }
}

/** Timers that fire only when the test moves time forward. */
export class ManualClock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Delays of the pending timers from now, soonest first. */
  pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = target;
  }
}
