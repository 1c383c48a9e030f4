import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { STATE_FILES } from '@mesh/pki';

import { BIN, meshctl, startIstiodProcess, type IstiodProcess } from './processes.js';

/**
 * A real mesh on loopback for end-to-end tests: istiod on a config directory, sidecars as
 * `mesh-proxy` processes in explicit mode (each on its own 127.x address, so every proxy keeps
 * Istio's default ports), and small HTTP apps that say who they are.
 */

export interface SidecarProcess {
  name: string;
  address: string;
  child: ChildProcess;
  /** `http://<address>:15001`, the sidecar's forward proxy for its app. */
  proxyUrl: string;
  adminUrl: string;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SidecarSpec {
  name: string;
  namespace?: string;
  serviceAccount?: string;
  labels: Record<string, string>;
  address: string;
  /** Application port → where the app listens. */
  inbound?: Record<number, { host: string; port: number }>;
  extraArgs?: string[];
  /** Another xDS server than istiod (which stays the CA). */
  xdsAddress?: string;
}

export class LoopbackMesh {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'mesh-state-'));
  readonly configDir = mkdtempSync(join(tmpdir(), 'mesh-config-'));
  istiod?: IstiodProcess;
  readonly sidecars: SidecarProcess[] = [];
  readonly apps: Server[] = [];

  writeConfig(file: string, yaml: string): void {
    writeFileSync(join(this.configDir, file), yaml);
  }

  /** Starts istiod; `samePorts` restarts it where the sidecars expect it (after a kill). */
  async startIstiod(samePorts = false): Promise<IstiodProcess> {
    const ports = samePorts ? this.istiod?.ports : undefined;
    this.istiod = await startIstiodProcess([
      '--config-dir',
      this.configDir,
      '--state-dir',
      this.stateDir,
      '--push-debounce',
      '10ms',
      ...(ports
        ? ['--xds-port', String(ports.xdsPort), '--secure-xds-port', String(ports.secureXdsPort)]
        : []),
    ]);
    return this.istiod;
  }

  /** istiod's plaintext port: config only (no CA, no endpoint registration). */
  get xdsAddress(): string {
    return `127.0.0.1:${this.istiod?.ports.xdsPort}`;
  }

  /** istiod's TLS port: mTLS xDS (endpoints register only here) and the CA. */
  get secureXdsAddress(): string {
    return `127.0.0.1:${this.istiod?.ports.secureXdsPort}`;
  }

  /** istiod's root, which sidecars trust for their first certificate request (`--ca-root-cert`). */
  get rootCertFile(): string {
    return join(this.stateDir, STATE_FILES.rootCert);
  }

  async startSidecar(spec: SidecarSpec): Promise<SidecarProcess> {
    const namespace = spec.namespace ?? 'default';
    const sa = spec.serviceAccount ?? spec.name;
    const token = meshctl([
      'local',
      'token',
      'create',
      '-n',
      namespace,
      '--sa',
      sa,
      '--state-dir',
      this.stateDir,
    ]);
    if (token.status !== 0) throw new Error(`token: ${token.stderr}`);
    const tokenFile = join(this.stateDir, `${spec.name}.token`);
    writeFileSync(tokenFile, token.stdout.trim(), { mode: 0o600 });
    const args = [
      BIN.proxy,
      '--pod-name',
      spec.name,
      '--namespace',
      namespace,
      '--service-account',
      sa,
      '--instance-ip',
      spec.address,
      '--labels',
      Object.entries(spec.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      ...(spec.xdsAddress
        ? ['--xds-address', spec.xdsAddress]
        : ['--xds-address', this.secureXdsAddress, '--xds-tls']),
      '--ca-address',
      this.secureXdsAddress,
      '--ca-root-cert',
      this.rootCertFile,
      '--token-file',
      tokenFile,
      '--capture',
      'explicit',
      '--drain-duration',
      '500ms',
      ...Object.entries(spec.inbound ?? {}).flatMap(([port, app]) => [
        '--inbound',
        `${port}=${app.host}:${app.port}`,
      ]),
      ...(spec.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (d: string) => logs.push(...d.split('\n').filter(Boolean)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => logs.push(d));
    const sidecar: SidecarProcess = {
      name: spec.name,
      address: spec.address,
      child,
      proxyUrl: `http://${spec.address}:15001`,
      adminUrl: `http://${spec.address}:15000`,
      logs,
      stop: (signal = 'SIGTERM') =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(child.exitCode);
          child.once('exit', (code) => resolve(code));
          child.kill(signal);
        }),
    };
    this.sidecars.push(sidecar);
    await waitFor(
      async () => (await fetch(`http://${spec.address}:15021/healthz/ready`)).status === 200,
      20_000,
      () => `sidecar ${spec.name} not ready (exit ${child.exitCode}):\n${logs.join('\n')}`,
    );
    return sidecar;
  }

  /** An HTTP app answering `{ app, path, headers }` as JSON. */
  async startApp(name: string, host: string): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.stringify({
          app: name,
          path: req.url,
          method: req.method,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        // `?delay=<ms>` answers late, for requests that must still be in flight.
        const delay = Number(new URL(req.url ?? '/', 'http://app').searchParams.get('delay') ?? 0);
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        }, delay);
      });
    });
    // Upgrades (WebSocket): switch protocols, then echo every byte.
    server.on('upgrade', (req, socket: Socket) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\n\r\n`,
      );
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    this.apps.push(server);
    return { host, port: (server.address() as { port: number }).port };
  }

  async stop(): Promise<void> {
    await Promise.all(this.sidecars.map((s) => s.stop('SIGKILL')));
    await this.istiod?.stop();
    for (const app of this.apps) app.closeAllConnections();
    await Promise.all(this.apps.map((a) => new Promise((r) => a.close(r))));
    rmSync(this.stateDir, { recursive: true, force: true });
    rmSync(this.configDir, { recursive: true, force: true });
  }
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => string | Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((r) => setTimeout(r, 100));
  }
}
