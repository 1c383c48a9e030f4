import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { istiodRootCert, startSidecar, writeJoinTokenFile, type AppEndpoint } from '@mesh/launcher';

import { startIstiodProcess, type IstiodProcess } from './processes.js';

/**
 * A real mesh on loopback for end-to-end tests, started by the launcher `meshctl local` uses: istiod
 * on a config directory, sidecars as `mesh-proxy` processes in explicit mode (each on its own 127.x
 * address, so every proxy keeps Istio's default ports), and small HTTP apps that say who they are.
 */

export interface SidecarProcess {
  name: string;
  address: string;
  child: ChildProcess;
  /** `http://<address>:15001`, the sidecar's forward proxy for its app. */
  proxyUrl: string;
  /** `http://127.0.0.1:<its admin port>`: admin listens on loopback only, on a port of its own. */
  adminUrl: string;
  logs: string[];
  /** Sends `signal` (SIGKILL after 5 s); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SidecarSpec {
  name: string;
  namespace?: string;
  serviceAccount?: string;
  labels: Record<string, string>;
  address: string;
  /** Application port → where the app listens. */
  inbound?: Record<number, AppEndpoint>;
  extraArgs?: string[];
  /** Another xDS server than istiod (which stays the CA). */
  xdsAddress?: string;
}

/** Join tokens of test sidecars live as long as `meshctl local token create`'s default. */
const TOKEN_TTL_SECONDS = 24 * 3600;

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
    this.istiod = await startIstiodProcess({
      configDir: this.configDir,
      stateDir: this.stateDir,
      pushDebounceMs: 10,
      ...(ports ? { xdsPort: ports.xdsPort, secureXdsPort: ports.secureXdsPort } : {}),
    });
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
    return istiodRootCert({ stateDir: this.stateDir });
  }

  async startSidecar(spec: SidecarSpec): Promise<SidecarProcess> {
    const namespace = spec.namespace ?? 'default';
    const serviceAccount = spec.serviceAccount ?? spec.name;
    const tokenFile = await writeJoinTokenFile(
      this.stateDir,
      { trustDomain: 'cluster.local', namespace, serviceAccount },
      join(this.stateDir, `${spec.name}.token`),
      TOKEN_TTL_SECONDS,
    );
    const proxy = startSidecar(
      {
        podName: spec.name,
        namespace,
        serviceAccount,
        instanceIp: spec.address,
        labels: spec.labels,
        istiodAddress: this.secureXdsAddress,
        ...(spec.xdsAddress ? { xdsAddress: spec.xdsAddress } : {}),
        caRootCert: this.rootCertFile,
        tokenFile,
        capture: { mode: 'explicit', inbound: spec.inbound ?? {} },
        drainMs: 500,
        extraArgs: spec.extraArgs ?? [],
      },
      { logs: { memory: true }, readyTimeoutMs: 20_000 },
    );
    const sidecar: SidecarProcess = {
      name: spec.name,
      address: spec.address,
      child: proxy.child,
      proxyUrl: `http://${spec.address}:15001`,
      // Set once ready: explicit-mode sidecars share 127.0.0.1, each on the admin port it reports.
      adminUrl: '',
      logs: proxy.logs.lines,
      stop: async (signal = 'SIGTERM') => (await proxy.stop({ signal })).code,
    };
    this.sidecars.push(sidecar);
    const { adminPort } = await proxy.ready;
    sidecar.adminUrl = `http://127.0.0.1:${adminPort}`;
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
