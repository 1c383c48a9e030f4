import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { STATE_FILES } from '@mesh/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LoopbackMesh, type SidecarProcess } from './mesh-processes.js';
import { meshctl } from './processes.js';
import { meshClientCertificate } from './tls-peers.js';

/**
 * Certificate expiry, seen from outside (seed 004: monitor certificate expiration): the workload
 * certificate a real sidecar presents to `openssl s_client` is the one its admin `/certs` describes,
 * its expiry is on `/stats/prometheus` and in `meshctl local status`, and istiod's monitoring port
 * gives its root's expiry — each exposition checked by promtool.
 */

const ADDRESS = '127.0.51.2';
const mesh = new LoopbackMesh();
const dir = mkdtempSync(join(tmpdir(), 'cert-expiry-'));
let sidecar: SidecarProcess;

function run(command: string, args: string[], input = ''): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end(input);
  });
}

/** `openssl x509` of a PEM certificate: its serial (hex) and notAfter (ms since the epoch). */
async function x509(pem: string): Promise<{ serial: string; notAfter: number }> {
  const { output } = await run('openssl', ['x509', '-noout', '-serial', '-enddate'], pem);
  return {
    serial: /serial=([0-9A-F]+)/.exec(output)?.[1] ?? '',
    notAfter: Date.parse(/notAfter=(.+)/.exec(output)?.[1] ?? ''),
  };
}

async function get(url: string): Promise<string> {
  return (await fetch(url)).text();
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The lines of `text` that belong to the families `pattern` names, for promtool. */
function families(text: string, pattern: RegExp): string {
  const kept = text.split('\n').filter((l) => pattern.test(l.replace(/^# (HELP|TYPE) /, '')));
  return `${kept.join('\n')}\n`;
}

interface CertsAnswer {
  certificates: {
    ca_cert: { serial_number: string; expiration_time: string }[];
    cert_chain: {
      path: string;
      serial_number: string;
      subject_alt_names: { uri?: string }[];
      days_until_expiration: string;
      valid_from: string;
      expiration_time: string;
    }[];
  }[];
}

beforeAll(async () => {
  await mesh.startIstiod();
  const app = await mesh.startApp('reviews', ADDRESS);
  sidecar = await mesh.startSidecar({
    name: 'reviews-0',
    serviceAccount: 'reviews',
    labels: { app: 'reviews' },
    address: ADDRESS,
    inbound: { 9080: app },
  });
}, 60_000);

afterAll(async () => {
  await mesh.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the sidecar', () => {
  it('describes on /certs the workload certificate it presents to openssl s_client', async () => {
    const client = meshClientCertificate(mesh.stateDir, dir, 'default', 'productpage');
    // s_client holding a mesh identity; stdin closed, it ends after the handshake.
    const handshake = await run('openssl', [
      ...['s_client', '-connect', `${ADDRESS}:9080`, '-alpn', 'istio-http/1.1'],
      ...['-cert', client.cert, '-key', client.key, '-CAfile', client.ca],
    ]);
    const presented = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(handshake.output);
    expect(presented, handshake.output).not.toBeNull();
    const served = await x509(presented?.[0] ?? '');

    const certs = JSON.parse(await get(`${sidecar.adminUrl}/certs`)) as CertsAnswer;
    const leaf = certs.certificates[0]?.cert_chain[0];
    expect(leaf).toMatchObject({
      path: '<inline>',
      subject_alt_names: [{ uri: 'spiffe://cluster.local/ns/default/sa/reviews' }],
      days_until_expiration: '0', // Istio's 24 h workload certificate
    });
    expect(leaf?.serial_number.toUpperCase().replace(/^0+/, '')).toBe(served.serial.replace(/^0+/, ''));
    expect(Date.parse(leaf?.expiration_time ?? '')).toBe(served.notAfter);
    const root = await x509(readFileSync(join(mesh.stateDir, STATE_FILES.rootCert), 'utf8'));
    expect(certs.certificates[0]?.ca_cert.map((c) => Date.parse(c.expiration_time))).toEqual([root.notAfter]);
  });

  it('exports the certificate’s time left and the days until the first expiry, as promtool accepts', async () => {
    const certs = JSON.parse(await get(`${sidecar.adminUrl}/certs`)) as CertsAnswer;
    const notAfter = Date.parse(certs.certificates[0]?.cert_chain[0]?.expiration_time ?? '');
    const before = Date.now();
    const text = await get(`http://${ADDRESS}:15090/stats/prometheus`);
    const left = sample(text, 'istio_agent_cert_expiry_seconds{resource_name="default"}') ?? NaN;
    expect(left).toBeLessThanOrEqual((notAfter - before) / 1000 + 1);
    expect(left).toBeGreaterThan((notAfter - before) / 1000 - 60);
    expect(sample(text, 'envoy_server_days_until_first_cert_expiring')).toBe(0);
    const checked = await run(
      'promtool',
      ['check', 'metrics'],
      families(text, /^(istio_agent_cert_expiry_seconds|envoy_server_days_until_first_cert_expiring)[ {]/),
    );
    // promtool's naming lint wants seconds; Envoy names its gauge in days, and dashboards use that name.
    expect(checked).toEqual({
      code: 3,
      output: 'envoy_server_days_until_first_cert_expiring use base unit "seconds" instead of "days"\n',
    });
  });
});

describe('istiod', () => {
  it('exports its root’s expiry on the monitoring port, as promtool accepts', async () => {
    const root = await x509(readFileSync(join(mesh.stateDir, STATE_FILES.rootCert), 'utf8'));
    const text = await get(`http://127.0.0.1:${mesh.istiod?.ports.monitoringPort}/metrics`);
    expect(sample(text, 'citadel_server_root_cert_expiry_timestamp')).toBe(root.notAfter / 1000);
    expect(sample(text, 'citadel_server_cert_chain_expiry_timestamp')).toBe(root.notAfter / 1000);
    expect(sample(text, 'citadel_server_root_cert_expiry_seconds')).toBeGreaterThan(9 * 365 * 86400);
    const checked = await run(
      'promtool',
      ['check', 'metrics'],
      families(text, /^citadel_server_(root_cert|cert_chain)_expiry_(timestamp|seconds)[ {]/),
    );
    expect(checked).toEqual({ code: 0, output: '' });
  });
});

describe('meshctl local status', () => {
  it('shows when each sidecar’s certificate expires', async () => {
    const { xdsPort, secureXdsPort, monitoringPort } = mesh.istiod!.ports;
    const adminPort = Number(new URL(sidecar.adminUrl).port);
    mkdirSync(join(mesh.stateDir, 'local'), { recursive: true });
    // The run state `meshctl local up` leaves, with this test process as the supervisor.
    writeFileSync(
      join(mesh.stateDir, 'local', 'run.json'),
      JSON.stringify({
        ...{ mesh: 'cert-expiry', meshFile: '', mode: 'explicit', supervisorPid: process.pid },
        ...{ startedAt: new Date().toISOString(), ready: true, configDir: mesh.configDir },
        istiod: { xdsPort, secureXdsPort, monitoringPort, log: '' },
        instances: [
          {
            ...{
              instance: 'reviews-0',
              workload: 'reviews',
              namespace: 'default',
              serviceAccount: 'reviews',
            },
            ...{ identity: 'spiffe://cluster.local/ns/default/sa/reviews', labels: { app: 'reviews' } },
            ...{ address: ADDRESS, ports: [9080], appPorts: {}, sidecar: true, env: {}, logs: { app: '' } },
            adminPort,
          },
        ],
      }),
    );
    const certs = JSON.parse(await get(`${sidecar.adminUrl}/certs`)) as CertsAnswer;
    const leaf = certs.certificates[0]?.cert_chain[0];

    const json = meshctl(['local', 'status', '--state-dir', mesh.stateDir, '-o', 'json']);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).workloads).toMatchObject([
      {
        instance: 'reviews-0',
        xds: 'synced',
        certificate: { serialNumber: leaf?.serial_number, expires: leaf?.expiration_time },
      },
    ]);
    const table = meshctl(['local', 'status', '--state-dir', mesh.stateDir]).stdout.split('\n');
    expect(table[0]).toMatch(/ CERT EXPIRES$/);
    expect(table[1]).toMatch(/ in 2[34]h\d+m$/); // Istio's 24 h workload certificate, issued just now
  });
});
