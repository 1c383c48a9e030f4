import {
  rootRotationDecision,
  rotateSelfSignedRoot,
  type CertificateAuthority,
  type CertificateInfo,
} from '@mesh/pki';
import type { Logger } from 'pino';

import { TreeWatch } from '../config/tree-watch.js';
import type { IstiodOptions } from '../options.js';
import {
  persistRotatedRoot,
  plugInCa,
  readPlugInFiles,
  readSelfSignedFiles,
  sameCertificates,
  selfSignedCa,
  type LoadedCa,
} from './ca-material.js';

/**
 * The CA in force, and what replaces it while istiod runs, as Istio does:
 * - a plug-in CA (`--ca-dir`, the `cacerts` Secret) is reloaded when its files change (Istio's
 *   `handleCACertsFileWatch`): a watch on the directory, and a poll for missed events;
 * - a self-signed root is checked every `CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL` (Istio's
 *   `SelfSignedCARootCertRotator`): rotated for the same key when its grace period has begun, or
 *   reloaded when the persisted root is not the one in memory (rotated by another istiod).
 * New material is checked before use; bad material (key of another certificate, expired, not a CA,
 * not chaining to the roots) is refused with one error line per distinct content, and the last good
 * CA stays in force. Listeners learn each change (root ConfigMaps, serving certificate, metrics).
 */

/** The plug-in directory is re-read this often besides its watch (events can be missed). */
export const PLUG_IN_POLL_MS = 10_000;
/** A burst of file events (Kubernetes swaps the Secret's files at once) is read once, after this. */
const SETTLE_MS = 200;

export type CaChangeListener = (next: CertificateAuthority, previous: CertificateAuthority) => void;

export interface CaSourceOptions {
  options: Pick<
    IstiodOptions,
    'caDir' | 'stateDir' | 'selfSignedRoot' | 'maxWorkloadCertTtlSeconds' | 'workloadCertTtlSeconds'
  >;
  logger: Logger;
  now?: () => Date;
  /** Uniform in [0, 1), for the first check's jitter. */
  random?: () => number;
}

export class CaSource {
  #current: CertificateAuthority;
  readonly #listeners: CaChangeListener[] = [];
  readonly #config: CaSourceOptions;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #watch: TreeWatch | undefined;
  #checking: Promise<void> | undefined;
  /** The plug-in files in force, to tell a change. */
  #applied: string | undefined;
  /** The content last refused, so a poll does not log the same refusal again. */
  #refused: string | undefined;
  #closed = false;

  constructor(loaded: LoadedCa, config: CaSourceOptions) {
    this.#current = loaded.ca;
    this.#applied = loaded.plugInFiles && JSON.stringify(loaded.plugInFiles);
    this.#config = config;
    this.#now = config.now ?? (() => new Date());
  }

  current(): CertificateAuthority {
    return this.#current;
  }

  onChange(listener: CaChangeListener): void {
    this.#listeners.push(listener);
  }

  /** Starts watching (plug-in) or the periodic root check (self-signed, after Istio's jitter). */
  start(): void {
    const { caDir, selfSignedRoot } = this.#config.options;
    if (caDir !== undefined) {
      this.#watch = new TreeWatch(
        () => this.#soon(),
        (dir, err) =>
          this.#config.logger.warn(
            { dir, err: err.message },
            'cannot watch the plug-in CA directory; polling it',
          ),
      );
      this.#watch.watch([caDir]);
      this.#every(PLUG_IN_POLL_MS, PLUG_IN_POLL_MS);
      return;
    }
    const interval = selfSignedRoot.checkIntervalSeconds * 1000;
    const first = selfSignedRoot.jitter
      ? Math.floor((this.#config.random ?? Math.random)() * interval)
      : interval;
    this.#config.logger.info(
      { checkIntervalSeconds: selfSignedRoot.checkIntervalSeconds, firstCheckInMs: first },
      'self-signed root rotation checks scheduled',
    );
    this.#every(first, interval);
  }

  /** One check now: the plug-in files re-read, or the self-signed root reloaded or rotated if due. */
  check(): Promise<void> {
    this.#checking ??= (
      this.#config.options.caDir !== undefined
        ? this.#checkPlugIn(this.#config.options.caDir)
        : this.#checkSelfSigned()
    ).finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#settle);
    this.#watch?.close();
  }

  #every(firstMs: number, intervalMs: number): void {
    // Node caps a timer at 2^31-1 ms; a longer interval simply checks sooner.
    const delay = Math.min(firstMs, 2 ** 31 - 1);
    this.#timer = setTimeout(() => {
      void this.check().finally(() => {
        if (!this.#closed) this.#every(intervalMs, intervalMs);
      });
    }, delay).unref();
  }

  #soon(): void {
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => void this.check(), SETTLE_MS).unref();
  }

  async #checkPlugIn(dir: string): Promise<void> {
    let files;
    try {
      files = readPlugInFiles(dir);
    } catch (err) {
      this.#refuse(`unreadable:${(err as Error).message}`, err as Error, { dir });
      return;
    }
    const content = JSON.stringify(files);
    if (content === this.#refused || content === this.#applied) return;
    try {
      const next = plugInCa(dir, files, this.#config.options);
      this.#applied = content;
      this.#replace(next, 'plug-in CA reloaded', { dir });
    } catch (err) {
      this.#refuse(content, err as Error, { dir });
    }
  }

  async #checkSelfSigned(): Promise<void> {
    const { stateDir, selfSignedRoot } = this.#config.options;
    const current = this.#current;
    let files;
    try {
      files = readSelfSignedFiles(stateDir);
    } catch (err) {
      this.#refuse(`unreadable:${(err as Error).message}`, err as Error, { stateDir });
      return;
    }
    if (!sameCertificates(files.certPem, current.certificate.pem)) {
      // Istio's rotator reloads istio-ca-secret when another istiod changed it.
      const content = JSON.stringify(files);
      if (content === this.#refused) return;
      try {
        const next = selfSignedCa(stateDir, files, this.#config.options, (m) => this.#config.logger.warn(m));
        this.#replace(next, 'self-signed root reloaded from the state directory', { stateDir });
      } catch (err) {
        this.#refuse(content, err as Error, { stateDir });
      }
      return;
    }
    const decision = rootRotationDecision({
      root: current.certificate,
      now: this.#now(),
      gracePeriodPercentage: selfSignedRoot.gracePeriodPercentage,
    });
    if (!decision.due) {
      this.#config.logger.debug({ reason: decision.reason }, 'self-signed root not due for rotation');
      return;
    }
    try {
      const next = rotateSelfSignedRoot(current, { ttlSeconds: selfSignedRoot.ttlSeconds, now: this.#now() });
      // Persisted before use, as Istio writes istio-ca-secret first: a root that would be lost at
      // the next start is never handed out.
      await persistRotatedRoot(stateDir, next);
      if (this.#closed) return;
      this.#replace(next, `self-signed root rotated (same key): ${decision.reason}`, { stateDir });
    } catch (err) {
      this.#config.logger.error(
        { stateDir, err: (err as Error).message, root: describeRoot(current.certificate) },
        'self-signed root rotation failed; the current root stays in force and is checked again at the next interval',
      );
    }
  }

  #replace(next: CertificateAuthority, message: string, fields: Record<string, string>): void {
    const previous = this.#current;
    this.#current = next;
    this.#refused = undefined;
    this.#config.logger.info(
      {
        ...fields,
        root: describeRoot(next.root),
        previousRoot: describeRoot(previous.root),
        trustedRoots: next.trustBundle.size,
      },
      message,
    );
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (err) {
        this.#config.logger.error({ err: (err as Error).message }, 'applying the new CA failed');
      }
    }
  }

  #refuse(content: string, err: Error, fields: Record<string, string>): void {
    if (content === this.#refused) return;
    this.#refused = content;
    this.#config.logger.error(
      { ...fields, reason: err.message, inForce: describeRoot(this.#current.root) },
      'new CA material refused; the CA in force stays',
    );
  }
}

function describeRoot(root: CertificateInfo): string {
  return `${root.subject} (serial ${root.serialNumber}, expires ${root.notAfter.toISOString()})`;
}
