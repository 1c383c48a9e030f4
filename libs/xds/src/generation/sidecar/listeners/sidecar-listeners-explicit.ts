import type { IstioEgressListener, IstioIngressListener, Sidecar } from '@mesh/policy';
import { listenerImports, parseEgressHost, type MeshService } from '@mesh/registry';

import type { SidecarContext } from '../sidecar-context.js';
import { isHttpProtocol } from './listener-common.js';

/**
 * The listeners a Sidecar resource declares explicitly, as istiod reads them
 * (`pilot/pkg/networking/core/listener.go` `buildSidecarOutboundListeners`, `listener_inbound.go`):
 * egress listeners with a port that are bound (`captureMode: NONE`, or a `bind` address), which the app
 * calls directly on `127.0.0.1:<port>` when nothing captures its traffic (DESIGN §1, explicit mode), and
 * ingress listeners, bound to `<bind or 0.0.0.0>:<port>` and forwarding to `inbound|<port>||` (the
 * cluster CDS builds for the `defaultEndpoint`). Shared by LDS and RDS so both agree on ports.
 */

/** Istio's `actualLocalHostAddress`: where a bound egress listener without `bind` listens. */
const LOCALHOST = '127.0.0.1';
/** Istio's `actualWildcardAddress`: where an ingress listener without `bind` listens. */
const WILDCARD = '0.0.0.0';

export interface ExplicitEgressListener {
  /** `<bind>_<port>`, Istio's `getListenerName`. */
  name: string;
  bind: string;
  port: number;
  /** From `egress[].port.protocol`; without one, the first imported service's protocol for the port. */
  http: boolean;
  /** `bind_to_port`: false only for a `bind` address whose `captureMode` is IPTABLES (Istio's unbound form). */
  bindToPort: boolean;
  /** The services the listener's `hosts` import on its port, in snapshot order. */
  services: MeshService[];
}

export interface ExplicitIngressListener {
  name: string;
  bind: string;
  port: number;
  http: boolean;
}

/** The Sidecar resource that applies to this proxy (see `selectSidecar`), if any. */
export function applicableSidecar(ctx: SidecarContext): Sidecar | undefined {
  return ctx.snapshot.sidecarFor(
    { namespace: ctx.proxy.namespace, labels: ctx.proxy.labels },
    ctx.mesh.rootNamespace,
  );
}

function importedServices(ctx: SidecarContext, listener: IstioEgressListener, port: number): MeshService[] {
  const hosts = listener.hosts.map((entry) => parseEgressHost(entry, ctx.proxy.namespace));
  return ctx.outboundServices.filter(
    (service) => service.ports.some((p) => p.port === port) && listenerImports(hosts, service),
  );
}

/**
 * Istio binds an egress listener to its port when its `captureMode` is NONE (or the whole proxy is not
 * captured). We also bind one that names a `bind` address without saying IPTABLES: the proxy does not
 * report its interception mode yet, and in the local platform's explicit mode nothing is captured.
 */
function egressBindsToPort(listener: IstioEgressListener): boolean {
  if (listener.captureMode === 'NONE') return true;
  return listener.bind !== undefined && listener.bind !== '' && listener.captureMode !== 'IPTABLES';
}

/**
 * Egress listeners with a port that get a listener of their own: bound ones (see `egressBindsToPort`)
 * and, as in Istio, captured ones with a `bind` address (not bound, reached through `virtualOutbound`).
 * Unix domain socket binds and listeners importing no service on their port are skipped (istiod builds
 * the listener per imported service, so it builds none either).
 */
export function explicitEgressListeners(ctx: SidecarContext): ExplicitEgressListener[] {
  const out: ExplicitEgressListener[] = [];
  for (const listener of applicableSidecar(ctx)?.spec.egress ?? []) {
    const port = listener.port?.number;
    if (!port) continue;
    const bindToPort = egressBindsToPort(listener);
    if (!bindToPort && !listener.bind) continue; // the per-service outbound listeners cover it
    if (listener.bind?.startsWith('unix://')) continue;
    const services = importedServices(ctx, listener, port);
    if (services.length === 0) continue;
    const bind = listener.bind || (bindToPort ? LOCALHOST : WILDCARD);
    const declared = listener.port?.protocol;
    const protocol = declared || services[0]?.ports.find((p) => p.port === port)?.protocol || 'TCP';
    out.push({ name: `${bind}_${port}`, bind, port, http: isHttpProtocol(protocol), bindToPort, services });
  }
  return out;
}

/**
 * Ingress listeners bound to their port. Istio binds one when its `captureMode` is NONE, or DEFAULT on a
 * proxy that is not captured; not knowing the proxy's interception mode, we bind every one except those
 * that say IPTABLES, whose traffic reaches `virtualInbound` (its chain for the port already targets
 * `inbound|<port>||`). Unix domain socket binds are skipped.
 */
export function explicitIngressListeners(ctx: SidecarContext): ExplicitIngressListener[] {
  const out: ExplicitIngressListener[] = [];
  for (const listener of (applicableSidecar(ctx)?.spec.ingress ?? []) as IstioIngressListener[]) {
    const port = listener.port.number;
    if (!port || listener.captureMode === 'IPTABLES') continue;
    if (listener.bind?.startsWith('unix://')) continue;
    const bind = listener.bind || WILDCARD;
    const name = `${bind}_${port}`;
    if (out.some((l) => l.name === name)) continue;
    out.push({ name, bind, port, http: isHttpProtocol(listener.port.protocol ?? 'TCP') });
  }
  return out;
}
