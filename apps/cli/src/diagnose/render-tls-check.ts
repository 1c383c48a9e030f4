import type { TlsCheckReport, TlsCheckRow } from '@mesh/xds';

import type { DiagnoseMesh } from './diagnose-mesh.js';
import { renderObject, table, type OutputFormat } from './render-output.js';

/**
 * What `meshctl tls-check` found, and its rendering: istioctl's historical `authn tls-check` table
 * (`HOST:PORT STATUS SERVER CLIENT AUTHN POLICY DESTINATION RULE`), a LIVE column on a running mesh,
 * then one line per endpoint in conflict and one per difference another instance of the workload has.
 * `-o json|yaml` print the object itself.
 */

/** One upstream connection as the client's sidecar reports it (`/upstream_connections`). */
export interface LiveConnection {
  at: string;
  cluster: string;
  upstream: string;
  tls: string;
  outcome: 'connected' | 'failed';
  peer?: string;
  alpn?: string;
  error?: string;
}

/** What the client's sidecar actually did on its last connections to one cluster. */
export interface LiveProof {
  /** Connections to the cluster among the sidecar's recent ones. */
  connections: number;
  last: LiveConnection;
}

export interface TlsCheckResult {
  source: DiagnoseMesh['source'];
  /** The instance whose sidecar config was checked. */
  instance: string;
  client: TlsCheckReport['client'];
  rows: (TlsCheckRow & { live?: LiveProof })[];
  /** Why the live part is missing on a running mesh (the sidecar's admin did not answer). */
  liveUnavailable?: string;
  conflicts: number;
  /** The other instances of the workload whose check differs from this one's, and how. */
  disagreements?: { instance: string; differences: string[] }[];
}

/** The live proof of each cluster from the sidecar's recent connections (newest first). */
export function liveProofs(connections: readonly LiveConnection[]): Map<string, LiveProof> {
  const proofs = new Map<string, LiveProof>();
  for (const connection of connections) {
    const proof = proofs.get(connection.cluster);
    if (proof) proof.connections += 1;
    else proofs.set(connection.cluster, { connections: 1, last: connection });
  }
  return proofs;
}

const distinct = (values: readonly (string | undefined)[], none = '-') =>
  [...new Set(values.map((v) => v ?? none))].join(',') || none;

/** The LIVE cell: what the last connection was (mTLS with the verified peer, plaintext, or a failure). */
export function liveCell(live: LiveProof | undefined): string {
  if (live === undefined) return 'no connection yet';
  const { last } = live;
  if (last.outcome === 'failed') return `failed (${last.tls}): ${last.error ?? ''}`;
  if (last.tls === 'ISTIO_MUTUAL') return `mTLS, peer ${last.peer ?? 'unverified'}`;
  return last.tls === 'plaintext'
    ? 'plaintext'
    : `TLS (${last.tls})${last.peer ? `, peer ${last.peer}` : ''}`;
}

function clientCell(row: TlsCheckRow): string {
  return row.portLevel ? `${row.client} (port ${row.port})` : row.client;
}

export function renderTlsCheckText(result: TlsCheckResult): string {
  const live = result.source === 'local' && result.liveUnavailable === undefined;
  const header = ['HOST:PORT', 'STATUS', 'SERVER', 'CLIENT', 'AUTHN POLICY', 'DESTINATION RULE'];
  const rows = result.rows.map((row) => [
    `${row.host}:${row.port}${row.subset ? ` (subset ${row.subset})` : ''}`,
    row.status,
    distinct(row.endpoints.map((e) => e.server)),
    clientCell(row),
    distinct(
      row.endpoints.map((e) => e.policy),
      row.endpoints.length ? 'default' : '-',
    ),
    row.destinationRule ?? '-',
    ...(live ? [liveCell(row.live)] : []),
  ]);
  const lines = [
    `Client: ${result.instance} (${result.client.identity})`,
    table(live ? [...header, 'LIVE (last connection)'] : header, rows),
  ];
  for (const row of result.rows)
    for (const endpoint of row.endpoints.filter((e) => e.status === 'CONFLICT'))
      lines.push(
        `CONFLICT ${row.host}:${row.port} -> ${endpoint.workload || endpoint.address} (${endpoint.address}:${endpoint.port}): ${endpoint.reason ?? ''}`,
      );
  for (const { instance, differences } of result.disagreements ?? [])
    for (const difference of differences) lines.push(`DISAGREES ${instance}: ${difference}`);
  if (result.liveUnavailable) lines.push(`Live proof unavailable: ${result.liveUnavailable}`);
  return lines.join('\n');
}

export function renderTlsCheck(result: TlsCheckResult, format: OutputFormat): string {
  return renderObject(result, format) ?? renderTlsCheckText(result);
}
