import type { Socket } from 'node:net';

import type { CompiledFilterChain } from '@mesh/xds';

import type { DownstreamConnection, HttpDependencies } from '../http/http-stream-context.js';
import { enforceRbac } from '../rbac/rbac-enforcement.js';
import type { AccessLogRecord } from '../telemetry/index.js';

/**
 * Envoy's `tcp_proxy` network filter, after the chain's network RBAC filter: the connection goes to
 * an endpoint of the filter's cluster (or one of its weighted clusters) and bytes are copied both
 * ways until either side closes. A denied connection is closed before anything is forwarded.
 */

/** What Istio's client sidecars offer for TCP over mTLS (the cluster's `alpn_protocols`). */
const TCP_ALPN = ['istio-peer-exchange', 'istio'];

/** tcp_proxy's decision for a connection: closed by the chain's RBAC, or the cluster it goes to. */
export function admitConnection(
  chain: CompiledFilterChain,
  connection: DownstreamConnection,
  deps: HttpDependencies,
): { kind: 'denied'; policy: string } | { kind: 'forward'; clusterName: string } {
  const rbac = enforceRbac(chain.rbac, connection, deps);
  if (rbac.denied) return { kind: 'denied', policy: rbac.policy };
  return { kind: 'forward', clusterName: chain.tcp?.clusters.pick()?.name ?? '' };
}

export function proxyTcp(
  downstream: Socket,
  chain: CompiledFilterChain,
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
  const admission = admitConnection(chain, connection, deps);
  if (admission.kind === 'denied') {
    deps.reporter.writeAccessLog({
      ...log,
      connectionTerminationDetails: `rbac_access_denied_matched_policy[${admission.policy}]`,
      responseFlags: '-',
    });
    downstream.destroy();
    return;
  }
  const clusterName = admission.clusterName;
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
