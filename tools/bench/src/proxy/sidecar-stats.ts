/** What the proxy benchmark reads from a sidecar: its admin port's config dump and its Prometheus stats. */

/** Outbound clusters in the sidecar's `/config_dump` (the admin port answers on loopback). */
export async function outboundClusters(sidecar: { adminUrl: string }): Promise<number> {
  const dump = (await (await fetch(`${sidecar.adminUrl}/config_dump`)).json()) as {
    configs: { dynamic_active_clusters?: { cluster: { name?: string } }[] }[];
  };
  const clusters = dump.configs.flatMap((c) => c.dynamic_active_clusters ?? []);
  return clusters.filter((c) => c.cluster.name?.startsWith('outbound|')).length;
}

/** `istio_requests_total` of a sidecar by reporter and `connection_security_policy`. */
export async function requestsBySecurity(sidecar: { address: string }): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${sidecar.address}:15090/stats/prometheus`)).text();
  const totals: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{')) continue;
    const reporter = /reporter="([^"]*)"/.exec(line)?.[1] ?? '?';
    const policy = /connection_security_policy="([^"]*)"/.exec(line)?.[1] ?? '?';
    const key = `${reporter}/${policy}`;
    totals[key] = (totals[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return totals;
}
