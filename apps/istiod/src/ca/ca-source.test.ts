import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createIntermediate,
  createSelfSignedRoot,
  PLUG_IN_CA_FILES,
  STATE_FILES,
  type CertificateAuthority,
} from '@mesh/pki';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { SelfSignedRootSettings } from '../options.js';
import { loadCa } from './ca-material.js';
import { CaSource } from './ca-source.js';

const DAY = 86400;
const dirs: string[] = [];
const sources: CaSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A logger whose JSON lines the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string; reason?: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines, errors: () => lines.filter((l) => l.level >= 50) };
}

const settings = (ttlSeconds: number, gracePeriodPercentage = 20): SelfSignedRootSettings => ({
  ttlSeconds,
  checkIntervalSeconds: 3600,
  gracePeriodPercentage,
  jitter: false,
});

function options(dirsOf: { stateDir: string; caDir?: string }, root = settings(100 * DAY)) {
  return {
    ...dirsOf,
    selfSignedRoot: root,
    maxWorkloadCertTtlSeconds: 90 * DAY,
    workloadCertTtlSeconds: DAY,
  };
}

async function start(opts: ReturnType<typeof options>, now?: () => Date) {
  const log = capturingLogger();
  const loaded = await loadCa({ ...opts, trustDomain: 'cluster.local' } as Parameters<typeof loadCa>[0]);
  const source = new CaSource(loaded, { options: opts, logger: log.logger, ...(now ? { now } : {}) });
  sources.push(source);
  const changes: CertificateAuthority[] = [];
  source.onChange((next) => changes.push(next));
  return { source, log, changes, initial: loaded.ca };
}

describe('CaSource with a self-signed root (Istio SelfSignedCARootCertRotator)', () => {
  it('leaves a root outside its grace period alone', async () => {
    const stateDir = tempDir('ca-state-');
    const { source, changes, initial } = await start(options({ stateDir }));
    await source.check();
    expect(changes).toHaveLength(0);
    expect(source.current()).toBe(initial);
  });

  it('rotates a root in its grace period for the same key, publishes old and new, and persists both', async () => {
    const stateDir = tempDir('ca-state-');
    const later = new Date(Date.now() + 85 * DAY * 1000);
    const { source, changes, initial, log } = await start(options({ stateDir }), () => later);
    await source.check();
    expect(changes).toHaveLength(1);
    const rotated = source.current();
    expect(rotated.certificate.pem).not.toBe(initial.certificate.pem);
    expect(rotated.privateKeyPem).toBe(initial.privateKeyPem);
    expect(rotated.certificate.subject).toBe('O=cluster.local');
    expect(rotated.certificate.notAfter.getTime()).toBe(
      Math.floor((later.getTime() + 100 * DAY * 1000) / 1000) * 1000,
    );
    expect(rotated.trustBundle.roots.map((r) => r.pem)).toEqual([
      rotated.certificate.pem,
      initial.certificate.pem,
    ]);
    expect(readFileSync(join(stateDir, STATE_FILES.rootCert), 'utf8')).toBe(rotated.certificate.pem);
    expect(readFileSync(join(stateDir, STATE_FILES.previousRoots), 'utf8')).toBe(initial.certificate.pem);
    expect(log.lines.some((l) => l.msg.startsWith('self-signed root rotated (same key)'))).toBe(true);
    // The next start (at the same moment) trusts both, as the running istiod did.
    vi.useFakeTimers({ toFake: ['Date'], now: later });
    const restarted = await loadCa({ ...options({ stateDir }), trustDomain: 'cluster.local' } as Parameters<
      typeof loadCa
    >[0]);
    vi.useRealTimers();
    expect(restarted.ca.trustBundle.toPem()).toBe(rotated.trustBundle.toPem());
  });

  it('rotates at start a persisted root that expired while istiod was down, for the same key', async () => {
    const stateDir = tempDir('ca-state-');
    const past = new Date(Date.now() - 30 * DAY * 1000);
    const expired = createSelfSignedRoot({ trustDomain: 'cluster.local', ttlSeconds: DAY, now: past });
    mkdirSync(join(stateDir, 'ca'));
    writeFileSync(join(stateDir, STATE_FILES.rootCert), expired.certificate.pem, { mode: 0o600 });
    writeFileSync(join(stateDir, STATE_FILES.rootKey), expired.privateKeyPem, { mode: 0o600 });
    const loaded = await loadCa({ ...options({ stateDir }), trustDomain: 'cluster.local' } as Parameters<
      typeof loadCa
    >[0]);
    expect(loaded.source).toContain('had expired');
    expect(loaded.ca.privateKeyPem).toBe(expired.privateKeyPem);
    expect(loaded.ca.certificate.notAfter.getTime()).toBeGreaterThan(Date.now() + 99 * DAY * 1000);
    // The expired root is trusted no more; the new one is what the next start reads.
    expect(loaded.ca.trustBundle.roots.map((r) => r.pem)).toEqual([loaded.ca.certificate.pem]);
    expect(readFileSync(join(stateDir, STATE_FILES.rootCert), 'utf8')).toBe(loaded.ca.certificate.pem);
  });

  it('reloads a root another istiod persisted, and refuses one whose key is not the certificate’s', async () => {
    const stateDir = tempDir('ca-state-');
    const { source, changes, initial, log } = await start(options({ stateDir }));
    const stranger = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    writeFileSync(join(stateDir, STATE_FILES.rootCert), stranger.certificate.pem);
    await source.check();
    await source.check();
    expect(changes).toHaveLength(0);
    expect(source.current()).toBe(initial);
    expect(log.errors()).toHaveLength(1);
    expect(log.errors()[0]).toMatchObject({
      msg: 'new CA material refused; the CA in force stays',
      reason: expect.stringContaining('ca-key.pem is not the private key of ca-cert.pem'),
    });
    writeFileSync(join(stateDir, STATE_FILES.rootKey), stranger.privateKeyPem);
    await source.check();
    expect(changes).toHaveLength(1);
    expect(source.current().certificate.pem).toBe(stranger.certificate.pem);
  });
});

describe('CaSource with a plug-in CA (cacerts reloaded without restart)', () => {
  function writeCacerts(caDir: string, ca: CertificateAuthority) {
    const files = ca.toCacertsFiles();
    for (const name of Object.values(PLUG_IN_CA_FILES)) writeFileSync(join(caDir, name), files[name]);
  }
  const root = createSelfSignedRoot({ trustDomain: 'cluster.local' });

  async function plugIn() {
    const caDir = tempDir('cacerts-');
    writeCacerts(caDir, createIntermediate({ parent: root }));
    return { caDir, ...(await start(options({ stateDir: tempDir('ca-state-'), caDir }))) };
  }

  it('reloads changed files, a new root included, when its watch fires', async () => {
    const { caDir, source, changes } = await plugIn();
    source.start();
    const newRoot = createSelfSignedRoot({ trustDomain: 'cluster.local' });
    const next = createIntermediate({ parent: newRoot });
    writeCacerts(caDir, next);
    await vi.waitFor(() => expect(changes).toHaveLength(1), { timeout: 5000, interval: 50 });
    expect(source.current().certificate.pem).toBe(next.certificate.pem);
    expect(source.current().trustBundle.toPem()).toBe(newRoot.certificate.pem);
  });

  const bad: [string, (caDir: string) => void, string][] = [
    [
      'a key that is not the certificate’s',
      (caDir) =>
        writeFileSync(
          join(caDir, PLUG_IN_CA_FILES.caKey),
          createIntermediate({ parent: root }).privateKeyPem,
        ),
      'ca-key.pem is not the private key of ca-cert.pem',
    ],
    [
      'an expired CA certificate',
      (caDir) => {
        const past = new Date(Date.now() - 30 * DAY * 1000);
        const oldRoot = createSelfSignedRoot({ trustDomain: 'cluster.local', now: past });
        writeCacerts(caDir, createIntermediate({ parent: oldRoot, ttlSeconds: DAY, now: past }));
      },
      'expired',
    ],
    [
      'a certificate that is not a CA',
      (caDir) => {
        const leaf = root.issueServerCertificate({ dnsNames: ['not-a-ca.example'] });
        writeFileSync(join(caDir, PLUG_IN_CA_FILES.caCert), leaf.certificatePem);
        writeFileSync(join(caDir, PLUG_IN_CA_FILES.caKey), leaf.privateKeyPem);
        writeFileSync(join(caDir, PLUG_IN_CA_FILES.certChain), leaf.chainPem.join(''));
        writeFileSync(join(caDir, PLUG_IN_CA_FILES.rootCert), root.certificate.pem);
      },
      'is not a CA certificate',
    ],
  ];
  it.each(bad)('refuses %s with one error line, and the last good CA stays', async (_, spoil, reason) => {
    const { caDir, source, changes, initial, log } = await plugIn();
    spoil(caDir);
    await source.check();
    await source.check();
    expect(changes).toHaveLength(0);
    expect(source.current()).toBe(initial);
    expect(log.errors()).toEqual([
      expect.objectContaining({
        msg: 'new CA material refused; the CA in force stays',
        dir: caDir,
        reason: expect.stringContaining(reason),
      }),
    ]);
    // It still signs.
    expect(() =>
      source.current().issueServerCertificate({ dnsNames: ['istiod.istio-system.svc'] }),
    ).not.toThrow();
  });
});
