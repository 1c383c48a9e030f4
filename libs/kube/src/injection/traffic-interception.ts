import { InjectionError } from './injection-error.js';
import type { InjectionValues } from './injection-config.js';

/**
 * The `traffic.sidecar.istio.io/*` and interception annotations of a pod, checked as Istio's
 * `pkg/kube/inject/validate.go` checks them (an invalid one refuses the pod, naming the annotation),
 * and turned into the `istio-iptables` arguments of the `istio-init` container (Istio's
 * injection-template.yaml). Chart values give the defaults; the pod's annotations win.
 */

export const TRAFFIC_ANNOTATIONS = {
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  excludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  kubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
} as const;
export const INTERCEPTION_MODE_ANNOTATION = 'sidecar.istio.io/interceptionMode';
export const STATUS_PORT_ANNOTATION = 'status.sidecar.istio.io/port';

/** Envoy's Prometheus port and its health port: never captured inbound. */
export const ENVOY_PROMETHEUS_PORT = 15090;
export const ENVOY_HEALTH_PORT = 15021;
export const PROXY_UID = 1337;

export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

export interface TrafficInterception {
  mode: InterceptionMode;
  statusPort: number;
  includeOutboundIPRanges: string;
  excludeOutboundIPRanges: string;
  includeInboundPorts: string;
  /** The inbound ports never captured: Envoy's, the agent's status port, then the pod's own. */
  excludeInboundPorts: string;
  includeOutboundPorts: string;
  excludeOutboundPorts: string;
  excludeInterfaces: string;
  kubevirtInterfaces: string;
}

const invalid = (annotation: string, value: string, why: string): never => {
  throw new InjectionError('INJECTION_ANNOTATION_INVALID', `annotation ${annotation}="${value}": ${why}`);
};

function checkPort(annotation: string, value: string, port: string): number {
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535)
    invalid(annotation, value, `"${port}" is not a port (1-65535)`);
  return n;
}

function checkPortList(annotation: string, value: string, allowStar: boolean): string {
  const trimmed = value.trim();
  if (trimmed === '' || (allowStar && trimmed === '*')) return trimmed;
  for (const port of trimmed.split(',')) checkPort(annotation, value, port.trim());
  return trimmed;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(\d{1,3})$/;

function checkCidrList(annotation: string, value: string, allowStar: boolean): string {
  const trimmed = value.trim();
  if (trimmed === '' || (allowStar && trimmed === '*')) return trimmed;
  for (const raw of trimmed.split(',')) {
    const cidr = raw.trim();
    const v4 = IPV4_CIDR.exec(cidr);
    const v6 = IPV6_CIDR.exec(cidr);
    const ok = v4
      ? v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32
      : v6 !== null && cidr.includes(':') && Number(v6[1]) <= 128;
    if (!ok) invalid(annotation, value, `"${cidr}" is not a CIDR (e.g. 10.0.0.0/8)`);
  }
  return trimmed;
}

/** The effective interception settings of a pod: its annotations over the chart's values. */
export function trafficInterception(
  annotations: Readonly<Record<string, string>>,
  values: InjectionValues,
  defaultMode: InterceptionMode = 'REDIRECT',
): TrafficInterception {
  const a = TRAFFIC_ANNOTATIONS;
  const get = (name: string, fallback: string) => annotations[name] ?? fallback;
  const mode = get(INTERCEPTION_MODE_ANNOTATION, defaultMode);
  if (mode !== 'REDIRECT' && mode !== 'TPROXY' && mode !== 'NONE')
    invalid(INTERCEPTION_MODE_ANNOTATION, mode, 'must be REDIRECT, TPROXY or NONE');
  const statusText = get(STATUS_PORT_ANNOTATION, String(values.proxy.statusPort));
  // 0 turns the agent's status port (and the probes on it) off.
  const statusPort = statusText === '0' ? 0 : checkPort(STATUS_PORT_ANNOTATION, statusText, statusText);
  const p = values.proxy;
  const podExcludes = checkPortList(
    a.excludeInboundPorts,
    get(a.excludeInboundPorts, p.excludeInboundPorts),
    false,
  );
  const excluded = [ENVOY_PROMETHEUS_PORT, ENVOY_HEALTH_PORT, ...(statusPort > 0 ? [statusPort] : [])].map(
    String,
  );
  if (podExcludes !== '') excluded.push(...podExcludes.split(',').map((s) => s.trim()));
  return {
    mode: mode as InterceptionMode,
    statusPort,
    includeOutboundIPRanges: checkCidrList(
      a.includeOutboundIPRanges,
      get(a.includeOutboundIPRanges, p.includeIPRanges),
      true,
    ),
    excludeOutboundIPRanges: checkCidrList(
      a.excludeOutboundIPRanges,
      get(a.excludeOutboundIPRanges, p.excludeIPRanges),
      false,
    ),
    includeInboundPorts: checkPortList(
      a.includeInboundPorts,
      get(a.includeInboundPorts, p.includeInboundPorts),
      true,
    ),
    excludeInboundPorts: [...new Set(excluded)].join(','),
    includeOutboundPorts: checkPortList(
      a.includeOutboundPorts,
      get(a.includeOutboundPorts, p.includeOutboundPorts),
      false,
    ),
    excludeOutboundPorts: checkPortList(
      a.excludeOutboundPorts,
      get(a.excludeOutboundPorts, p.excludeOutboundPorts),
      false,
    ),
    excludeInterfaces: get(a.excludeInterfaces, ''),
    kubevirtInterfaces: get(a.kubevirtInterfaces, ''),
  };
}

/** `istio-iptables` arguments, in the order Istio's template writes them. */
export function istioIptablesArgs(t: TrafficInterception, logLevel: string): string[] {
  const args = ['istio-iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', t.mode];
  args.push('-i', t.includeOutboundIPRanges, '-x', t.excludeOutboundIPRanges);
  args.push('-b', t.includeInboundPorts, '-d', t.excludeInboundPorts);
  if (t.includeOutboundPorts !== '') args.push('-q', t.includeOutboundPorts);
  if (t.excludeOutboundPorts !== '') args.push('-o', t.excludeOutboundPorts);
  if (t.kubevirtInterfaces !== '') args.push('-k', t.kubevirtInterfaces);
  if (t.excludeInterfaces !== '') args.push('-c', t.excludeInterfaces);
  args.push(`--log_output_level=${logLevel}`);
  return args;
}
