import type { Socket } from 'node:net';

import { networkFilter, type EnvoyFilterChain } from '@mesh/xds';

import type { DownstreamConnection, HttpDependencies } from '../http/http-stream-context.js';
import { enforceRbac } from '../rbac/rbac-enforcement.js';
import type { AccessLogRecord } from '../telemetry/index.js';

/**
 * Envoy's `tcp_proxy` network filter, after the chain's network RBAC filter: the connection goes to
 * an endpoint of the filter's cluster (or one of its weighted clusters) and bytes are copied both
 * ways until either side closes. A denied connection is closed before anything is forwarded.
 */

const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
/** What Istio's client sidecars offer for TCP over mTLS (the cluster's `alpn_protocols`). */
const TCP_ALPN = ['istio-peer-exchange', 'istio'];

function chooseCluster(config: Record<string, unknown>): string | undefined {
  if (typeof config['cluster'] === 'string') return config['cluster'];
  const weighted =
    (config['weighted_clusters'] as { clusters?: { name: string; weight?: number }[] } | undefined)
      ?.clusters ?? [];
  const total = weighted.reduce((sum, c) => sum + (c.weight ?? 0), 0);
  let point = Math.random() * total;
  for (const c of weighted) if ((point -= c.weight ?? 0) < 0) return c.name;
  return weighted.at(-1)?.name;
}

export function proxyTcp(
  downstream: Socket,
  chain: EnvoyFilterChain,
  connection: DownstreamConnection,
  deps: HttpDependencies,
): void {
  const started = new Date();
  const log: AccessLogRecord = {
    startTime: started,
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: 0,
    downstreamLocalAddress: `${connection.localAddress}:${connection.localPort}`,
    downstreamRemoteAddress: `${connection.remoteAddress}:${connection.remotePort}`,
    ...(connection.sni ? { requestedServerName: connection.sni } : {}),
  };
  const rbac = enforceRbac(chain.filters, connection, deps);
  if (rbac.denied) {
    const policy = rbac.policy;
    deps.reporter.writeAccessLog({
      ...log,
      connectionTerminationDetails: `rbac_access_denied_matched_policy[${policy}]`,
      responseFlags: '-',
    });
    downstream.destroy();
    return;
  }
  const config = networkFilter(chain, TCP_PROXY) ?? {};
  const clusterName = chooseCluster(config) ?? '';
  const picked = deps.clusters.pick(clusterName, connection.originalDestination);
  const facts = {
    direction: connection.direction,
    ...(connection.peerPrincipal ? { peerPrincipal: connection.peerPrincipal } : {}),
    mutualTls: connection.tls && connection.peerPrincipal !== undefined,
    clusterName,
    ...(deps.clusters.cluster(clusterName) ? { cluster: deps.clusters.cluster(clusterName) } : {}),
    responseFlags: '-',
  };
  if ('error' in picked) {
    const close = deps.reporter.connection({ ...facts, responseFlags: picked.error });
    close({
      sent: 0,
      received: 0,
      log: { ...log, responseFlags: picked.error, upstreamCluster: clusterName },
    });
    downstream.destroy();
    return;
  }
  const endpoint = picked.endpoint;
  const release = deps.clusters.track(endpoint);
  const upstream = deps.pools.connect(endpoint, endpoint.transport ? TCP_ALPN : undefined);
  const close = deps.reporter.connection(facts);
  let received = 0;
  let sent = 0;
  let connected = false;
  downstream.on('data', (chunk: Buffer) => (received += chunk.length));
  upstream.on('data', (chunk: Buffer) => (sent += chunk.length));
  upstream.once(endpoint.transport ? 'secureConnect' : 'connect', () => {
    connected = true;
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    downstream.resume();
  });
  let finished = false;
  const finish = (flags: string, failure?: string) => {
    if (finished) return;
    finished = true;
    release();
    downstream.destroy();
    upstream.destroy();
    // (both are closed or failed by now; destroy() only releases what is left)
    close({
      sent,
      received,
      flags,
      log: {
        ...log,
        bytesReceived: received,
        bytesSent: sent,
        durationMs: Date.now() - started.getTime(),
        responseFlags: flags,
        upstreamCluster: clusterName,
        upstreamHost: endpoint.key,
        ...(failure ? { upstreamTransportFailureReason: failure } : {}),
      },
    });
  };
  // Either side's end is passed on by pipe(); the connection is over when both sides are closed.
  let upstreamClosed = false;
  upstream.on('error', (err) => finish(connected ? 'UC' : 'UF', err.message));
  downstream.on('error', () => finish('DC'));
  upstream.on('close', () => {
    upstreamClosed = true;
    if (!connected) finish('UF');
    else if (downstream.destroyed) finish('-');
  });
  downstream.on('close', () => {
    if (upstreamClosed || !connected) finish('-');
    else upstream.end();
  });
  upstream.on('end', () => downstream.end());
}
