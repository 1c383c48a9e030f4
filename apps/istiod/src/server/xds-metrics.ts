import type { ConfigEvent } from '@mesh/policy';
import { shortNameOf, type AdsServerHooks } from '@mesh/xds';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * istiod's xDS metrics under Istio's names (pilot_*), so Istio's control-plane dashboard works:
 * pushes and push time by type, connected proxies, rejected configs (NACKs), convergence time from a
 * config change to the push, config events, and the invalid config currently skipped.
 */
export function registerXdsMetrics(registry: Registry, invalidConfigCount: () => number) {
  const triggers = new Counter({
    name: 'pilot_push_triggers',
    help: 'Total number of times a push was triggered, labeled by reason for the push.',
    labelNames: ['type'],
    registers: [registry],
  });
  const pushes = new Counter({
    name: 'pilot_xds_pushes',
    help: 'Pilot build and send errors for lds, rds, cds and eds.',
    labelNames: ['type'],
    registers: [registry],
  });
  const connected = new Gauge({
    name: 'pilot_xds',
    help: 'Number of endpoints connected to this pilot using XDS.',
    labelNames: ['version'],
    registers: [registry],
  });
  const rejects = new Counter({
    name: 'pilot_total_xds_rejects',
    help: 'Total number of XDS responses from pilot rejected by proxy.',
    labelNames: ['type'],
    registers: [registry],
  });
  const pushTime = new Histogram({
    name: 'pilot_xds_push_time',
    help: 'Total time in seconds Pilot takes to push lds, rds, cds and eds.',
    labelNames: ['type'],
    buckets: [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30],
    registers: [registry],
  });
  const convergence = new Histogram({
    name: 'pilot_proxy_convergence_time',
    help: 'Delay in seconds between config change and a proxy receiving all required configuration.',
    buckets: [0.1, 0.5, 1, 3, 5, 10, 20, 30],
    registers: [registry],
  });
  const configEvents = new Counter({
    name: 'pilot_k8s_cfg_events',
    help: 'Events from k8s config.',
    labelNames: ['type', 'event'],
    registers: [registry],
  });
  // Read at scrape time: an invalid document changes nothing else, so no event would update it.
  new Gauge({
    name: 'pilot_config_invalid_resources',
    help: 'Config objects currently skipped because they are invalid.',
    registers: [registry],
    collect() {
      this.set(invalidConfigCount());
    },
  });

  let connections = 0;
  let lastChangeAt: number | undefined;
  const hooks: AdsServerHooks = {
    onConnect: () => connected.set({ version: 'mesh' }, ++connections),
    onDisconnect: () => connected.set({ version: 'mesh' }, --connections),
    onPush: (_conn, push) => {
      pushes.inc({ type: shortNameOf(push.typeUrl).toLowerCase() });
      pushTime.observe({ type: shortNameOf(push.typeUrl).toLowerCase() }, push.durationMs / 1000);
      if (lastChangeAt !== undefined) convergence.observe((Date.now() - lastChangeAt) / 1000);
    },
    onNack: (_conn, nack) => rejects.inc({ type: shortNameOf(nack.typeUrl).toLowerCase() }),
  };
  return {
    hooks,
    /** A config event arrived (counts it; the next pushes measure convergence from the first one). */
    configChanged(event: ConfigEvent): void {
      configEvents.inc({ type: event.config.kind, event: event.type });
      lastChangeAt ??= Date.now();
    },
    /** The debounced push for the pending changes went out: `endpoint` (EDS only) or `config` (everything). */
    pushed(kind: 'endpoint' | 'config'): void {
      triggers.inc({ type: kind });
      // Convergence is measured for pushes following this change until the next change arrives.
      setTimeout(() => (lastChangeAt = undefined), 5000).unref();
    },
  };
}
