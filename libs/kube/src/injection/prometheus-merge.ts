/**
 * Istio's metrics merging (MeshConfig `enablePrometheusMerge`, default on; the pod's
 * `prometheus.istio.io/merge-metrics` annotation wins): an injected pod is scraped at the agent's
 * status port (`prometheus.io/port: 15020`, `path: /stats/prometheus`), which serves the proxy's
 * metrics followed by the app's. The app's own `prometheus.io/scrape|port|path` annotations are moved
 * into the `ISTIO_PROMETHEUS_ANNOTATIONS` env of `istio-proxy` (JSON `{"scrape","path","port"}`, as
 * Istio's PrometheusScrapeConfiguration), from which the agent scrapes the app. As Istio's
 * applyPrometheusMerge: nothing changes when the pod says `prometheus.io/scrape: false` or already
 * points `prometheus.io/port` at the status port (a re-injected pod); Prometheus reads
 * `prometheus.io/scrape`, `prometheus-io/scrape` and `prometheus.io.scrape` alike (it sanitizes the
 * names), so every spelling is read and removed.
 */

export const MERGE_METRICS_ANNOTATION = 'prometheus.istio.io/merge-metrics';
export const PROMETHEUS_ANNOTATIONS_ENV = 'ISTIO_PROMETHEUS_ANNOTATIONS';
export const AGENT_METRICS_PATH = '/stats/prometheus';

type ScrapeField = 'scrape' | 'port' | 'path';

/** Prometheus's label-name sanitizing: every character outside [a-zA-Z0-9_] becomes `_`. */
function scrapeField(annotation: string): ScrapeField | undefined {
  const sanitized = annotation.replace(/[^a-zA-Z0-9_]/g, '_');
  if (sanitized === 'prometheus_io_scrape') return 'scrape';
  if (sanitized === 'prometheus_io_port') return 'port';
  if (sanitized === 'prometheus_io_path') return 'path';
  return undefined;
}

/** Go's strconv.ParseBool, which Istio reads these annotations with; undefined for anything else. */
function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

export interface PrometheusMerge {
  /** The pod's annotations with its scrape annotations pointing at the agent. */
  annotations: Record<string, string>;
  /** The app's scrape annotations for `istio-proxy`'s `ISTIO_PROMETHEUS_ANNOTATIONS`, if it had any. */
  appScrape?: string;
}

/** The merge for a pod with `annotations`, or undefined when its annotations stay as they are. */
export function prometheusMerge(
  annotations: Readonly<Record<string, string>>,
  meshEnabled: boolean,
  statusPort: number,
): PrometheusMerge | undefined {
  const podChoice = annotations[MERGE_METRICS_ANNOTATION];
  const enabled = (podChoice === undefined ? undefined : parseGoBool(podChoice)) ?? meshEnabled;
  const app: Record<ScrapeField, string> = { scrape: '', path: '', port: '' };
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(annotations)) {
    const field = scrapeField(name);
    if (field === undefined) kept[name] = value;
    else app[field] = value;
  }
  if (!enabled || parseGoBool(app.scrape) === false) return undefined;
  const target = String(statusPort);
  if (app.port === target) return undefined;
  const hasAppScrape = app.scrape !== '' || app.path !== '' || app.port !== '';
  return {
    annotations: {
      ...kept,
      'prometheus.io/port': target,
      'prometheus.io/path': AGENT_METRICS_PATH,
      'prometheus.io/scrape': 'true',
    },
    ...(hasAppScrape
      ? { appScrape: JSON.stringify({ scrape: app.scrape, path: app.path, port: app.port }) }
      : {}),
  };
}
