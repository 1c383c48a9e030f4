import { createPublicKey } from 'node:crypto';
import { EventEmitter } from 'node:events';

import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import {
  createCsr,
  formatSpiffeId,
  generateKeyPairAsync,
  renewalTime,
  TrustBundle,
  type KeyAlgorithm,
  type SpiffeIdentity,
} from '@mesh/pki';

import { systemClock, type AgentClock } from './agent-clock.js';
import { AgentError } from './agent-error.js';
import { CaRequests } from './ca-requests.js';
import { verifyIssuedChain } from './issued-chain.js';
import { writePrivateKeyFile } from './private-key-file.js';
import { RetryBackoff, type BackoffOptions } from './retry-backoff.js';

export interface WorkloadCertificateAgentOptions {
  /** `host:port` of istiod's certificate service (15010 plaintext, or 15012 with `credentials`). */
  caAddress: string;
  /** Channel credentials for token requests; default plaintext. */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  identity: SpiffeIdentity;
  keyAlgorithm?: KeyAlgorithm;
  /** Requested certificate lifetime; default 24 h as Istio's. */
  ttlSeconds?: number;
  /** The bearer token, fetched anew for every request (projected tokens are rotated on disk). */
  token: () => Promise<string> | string;
  /** Where to keep the private key (mode 0600); by default it stays in memory only. */
  keyFile?: string;
  /** Istiod's secure port, for renewals authenticated by the current certificate; default `caAddress`. */
  renewalAddress?: string;
  /** Namespace of istiod, for the name its serving certificate carries; default `istio-system`. */
  istioNamespace?: string;
  /** TLS name to verify on the renewal channel; default `istiod.<istioNamespace>.svc`. */
  caServerName?: string;
  clock?: AgentClock;
  /** Uniform in [0, 1), for renewal and backoff jitter. */
  random?: () => number;
  backoff?: BackoffOptions;
  /** Attempts `start()` makes before giving up; default 5. */
  startAttempts?: number;
  /** Deadline of one CA call; default 10 s. */
  requestTimeoutMs?: number;
}

/** The workload's key and certificate, as SDS serves them (`default` and `ROOTCA`). */
export interface WorkloadCertificate {
  identity: string;
  /** Leaf first, then intermediates; the root is in `rootsPem`. */
  certificateChainPem: string;
  privateKeyPem: string;
  /** Every trusted root, concatenated: the root of this chain first. */
  rootsPem: string;
  notBefore: Date;
  notAfter: Date;
  /** Lowercase hex serial number of the leaf. */
  serial: string;
  /** How the CA authenticated us: the bearer token, or the previous certificate over mTLS. */
  via: 'token' | 'certificate';
  /** The chain ends in a root not trusted before (a CA root rotation): re-apply `rootsPem`. */
  rootChanged: boolean;
}

export interface RenewalFailure {
  error: Error;
  retryInMs: number;
  /** Consecutive failures so far, this one included. */
  failures: number;
}

export interface WorkloadCertificateAgentEvents {
  issued: [WorkloadCertificate];
  'renewal-failed': [RenewalFailure];
}

/** Node's timers hold at most 2^31-1 ms (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The sidecar's certificate agent (Istio's `pilot-agent` secret manager): generates the private key
 * in process, has istiod's CA certify exactly our SPIFFE identity, renews at half the lifetime (over
 * mTLS with the current certificate, else with the token) with a new key each time, and on CA
 * failure keeps serving the current certificate while retrying with capped backoff.
 */
export class WorkloadCertificateAgent extends EventEmitter<WorkloadCertificateAgentEvents> {
  readonly identity: string;
  readonly #options: WorkloadCertificateAgentOptions;
  readonly #clock: AgentClock;
  readonly #random: () => number;
  readonly #backoff: RetryBackoff;
  readonly #ca: CaRequests;
  #current: WorkloadCertificate | undefined;
  #trustBundle: TrustBundle | undefined;
  #renewAt = 0;
  #timer: unknown;
  #cancelWait: (() => void) | undefined;
  #stopped = false;

  constructor(options: WorkloadCertificateAgentOptions) {
    super();
    this.identity = formatSpiffeId(options.identity);
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = new RetryBackoff(options.backoff, this.#random);
    this.#ca = new CaRequests(options);
  }

  /** The latest key and certificate, once `start()` has resolved. */
  current(): WorkloadCertificate | undefined {
    return this.#current;
  }

  /** The roots to verify peers with: the current chain's root, plus roots trusted before a rotation. */
  trustBundle(): TrustBundle | undefined {
    return this.#trustBundle;
  }

  /**
   * Obtains the first certificate (retrying with backoff) and schedules its renewal. Rejects with
   * `AGENT_START_FAILED`, naming the CA and the last failure, after `startAttempts` attempts.
   */
  async start(): Promise<WorkloadCertificate> {
    if (this.#current) return this.#current;
    const attempts = this.#options.startAttempts ?? 5;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const issued = await this.#obtain();
        this.#backoff.reset();
        this.#scheduleRenewal();
        return issued;
      } catch (err) {
        if (this.#stopped) throw err;
        lastError = err;
        if (attempt < attempts) await this.#wait(this.#backoff.next());
      }
    }
    throw new AgentError(
      'AGENT_START_FAILED',
      `no workload certificate for ${this.identity} from the CA at ${this.#options.caAddress} after ${attempts} attempt(s); ` +
        `last failure: ${(lastError as Error).message}`,
      { cause: lastError },
    );
  }

  /** Stops renewing; a pending `start()` rejects with `AGENT_STOPPED`. The current material stays readable. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cancelWait?.();
    this.#ca.close();
  }

  #scheduleRenewal(): void {
    const current = this.#current as WorkloadCertificate;
    this.#renewAt = renewalTime({
      notBefore: current.notBefore,
      notAfter: current.notAfter,
      random: this.#random,
    }).getTime();
    this.#armRenewal();
  }

  #armRenewal(): void {
    if (this.#stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, this.#renewAt - this.#clock.now()));
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#clock.now() < this.#renewAt) this.#armRenewal();
      else void this.#renew();
    }, delay);
  }

  async #renew(): Promise<void> {
    try {
      await this.#obtain();
      this.#backoff.reset();
      this.#scheduleRenewal();
    } catch (err) {
      if (this.#stopped) return;
      const retryInMs = this.#backoff.next();
      // Retry sooner than the renewal time: the current certificate stays in use meanwhile.
      this.#renewAt = this.#clock.now() + retryInMs;
      this.#armRenewal();
      this.emit('renewal-failed', { error: err as Error, retryInMs, failures: this.#backoff.failures });
    }
  }

  /** One issuance: new key, CSR, CA call(s), verification, key file, then publish. */
  async #obtain(): Promise<WorkloadCertificate> {
    const keyPair = await generateKeyPairAsync(this.#options.keyAlgorithm ?? 'ECDSA_P256');
    const csr = createCsr({ privateKey: keyPair.privateKeyPem, identity: this.identity });
    const publicKeyInfo = createPublicKey(keyPair.publicKeyPem).export({ type: 'spki', format: 'der' });
    const previous = this.#current;
    const now = () => new Date(this.#clock.now());
    const accept = (chainPem: string[], via: WorkloadCertificate['via']) => ({
      via,
      chain: verifyIssuedChain({
        chainPem,
        identity: this.identity,
        publicKeyInfo,
        now: now(),
        trustBundle: this.#trustBundle,
        acceptNewRoot: via === 'certificate',
      }),
    });

    let outcome: ReturnType<typeof accept> | undefined;
    let certificateFailure: Error | undefined;
    if (previous && previous.notAfter.getTime() > this.#clock.now()) {
      try {
        outcome = accept(await this.#ca.withCertificate(csr, previous), 'certificate');
      } catch (err) {
        this.#throwIfStopped();
        certificateFailure = err as Error;
      }
    }
    if (outcome === undefined) {
      try {
        outcome = accept(await this.#ca.withToken(csr), 'token');
      } catch (err) {
        this.#throwIfStopped();
        if (certificateFailure === undefined) throw err;
        const { code } = err instanceof AgentError ? err : { code: 'AGENT_CA_REQUEST_FAILED' as const };
        throw new AgentError(
          code,
          `renewal with the current certificate failed (${certificateFailure.message}); with the token: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    if (this.#options.keyFile) await writePrivateKeyFile(this.#options.keyFile, keyPair.privateKeyPem);
    this.#throwIfStopped();

    const { chain, via } = outcome;
    const previousRoots = this.#trustBundle?.roots ?? [];
    this.#trustBundle = TrustBundle.of([chain.root, ...previousRoots]);
    const issued: WorkloadCertificate = {
      identity: this.identity,
      certificateChainPem: chain.certificates.map((c) => c.pem).join(''),
      privateKeyPem: keyPair.privateKeyPem,
      rootsPem: this.#trustBundle.toPem(),
      notBefore: chain.leaf.notBefore,
      notAfter: chain.leaf.notAfter,
      serial: chain.leaf.serialNumber,
      via,
      rootChanged: chain.rootChanged,
    };
    this.#current = issued;
    this.emit('issued', issued);
    return issued;
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#cancelWait = () => reject(new AgentError('AGENT_STOPPED', 'the agent was stopped'));
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#cancelWait = undefined;
        resolve();
      }, ms);
    });
  }

  #throwIfStopped(): void {
    if (this.#stopped) throw new AgentError('AGENT_STOPPED', 'the agent was stopped');
  }
}
