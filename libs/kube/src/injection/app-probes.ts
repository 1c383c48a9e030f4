import type { V1Container, V1Probe } from '@kubernetes/client-node';

import { InjectionError } from './injection-error.js';

/**
 * Istio's probe rewrite (`pkg/kube/inject/app_probe.go`): with mTLS STRICT the kubelet's plaintext
 * probes would be refused by the sidecar, so each app container's HTTP, TCP and gRPC probes are
 * pointed at the agent's status port (`/app-health/<container>/livez|readyz|startupz`), and the
 * original handlers travel to the agent in `ISTIO_KUBE_APP_PROBERS`. Exec probes stay as they are.
 */

export const REWRITE_PROBES_ANNOTATION = 'sidecar.istio.io/rewriteAppHTTPProbers';

const PROBE_KINDS = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;

/** What the agent needs to run one original probe (the `ISTIO_KUBE_APP_PROBERS` entry). */
interface AppProber {
  httpGet?: V1Probe['httpGet'];
  tcpSocket?: V1Probe['tcpSocket'];
  grpc?: V1Probe['grpc'];
  timeoutSeconds?: number;
}

export interface RewrittenProbes {
  containers: V1Container[];
  /** Path → original prober; empty when nothing was rewritten. */
  probers: Record<string, AppProber>;
}

/** A named port resolves against the container's ports, as the kubelet would. */
function resolvePort(container: V1Container, port: number | string | undefined, field: string): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (named === undefined)
    throw new InjectionError(
      'INJECTION_OBJECT_INVALID',
      `container ${container.name} ${field}: named port "${String(port)}" is not one of the container's ports`,
    );
  return named.containerPort;
}

function prober(container: V1Container, probe: V1Probe, field: string): AppProber | undefined {
  const timeout = probe.timeoutSeconds === undefined ? {} : { timeoutSeconds: probe.timeoutSeconds };
  if (probe.httpGet)
    return {
      httpGet: {
        ...probe.httpGet,
        port: resolvePort(container, probe.httpGet.port, `${field}.httpGet.port`),
      },
      ...timeout,
    };
  if (probe.tcpSocket)
    return {
      tcpSocket: {
        ...probe.tcpSocket,
        port: resolvePort(container, probe.tcpSocket.port, `${field}.tcpSocket.port`),
      },
      ...timeout,
    };
  if (probe.grpc) return { grpc: probe.grpc, ...timeout };
  return undefined;
}

/**
 * Rewrites the probes of `containers` (the app containers, never the sidecar) to the agent on
 * `statusPort`. The probe's timing fields (periods, thresholds) are kept.
 */
export function rewriteAppProbes(containers: readonly V1Container[], statusPort: number): RewrittenProbes {
  const probers: Record<string, AppProber> = {};
  const rewritten = containers.map((container) => {
    const next: V1Container = { ...container };
    for (const [field, suffix] of PROBE_KINDS) {
      const probe = container[field];
      if (probe === undefined) continue;
      const original = prober(container, probe, `${field}`);
      if (original === undefined) continue;
      const path = `/app-health/${container.name}/${suffix}`;
      probers[path] = original;
      const { httpGet: _h, tcpSocket: _t, grpc: _g, ...timing } = probe;
      next[field] = { ...timing, httpGet: { path, port: statusPort, scheme: 'HTTP' } };
    }
    return next;
  });
  return { containers: rewritten, probers };
}

/** Whether this pod's probes are rewritten: the chart's `rewriteAppHTTPProbe`, the pod's annotation over it. */
export function shouldRewriteProbes(
  annotations: Readonly<Record<string, string>>,
  chartDefault: boolean,
): boolean {
  const value = annotations[REWRITE_PROBES_ANNOTATION];
  if (value === undefined) return chartDefault;
  if (value !== 'true' && value !== 'false')
    throw new InjectionError(
      'INJECTION_ANNOTATION_INVALID',
      `annotation ${REWRITE_PROBES_ANNOTATION}="${value}": must be "true" or "false"`,
    );
  return value === 'true';
}
