import type { SidecarContext } from '../sidecar-context.js';
import { explicitIngressListener, virtualInboundListener } from './inbound-listener.js';
import {
  explicitEgressListener,
  outboundPortListeners,
  virtualOutboundListener,
} from './outbound-listeners.js';
import { withTlsInspector } from './listener-common.js';
import { explicitEgressListeners, explicitIngressListeners } from './sidecar-listeners-explicit.js';

/**
 * LDS for a sidecar (DESIGN §5 "Generators"; istio-facts §7.2): `virtualOutbound` (15001),
 * `virtualInbound` (15006) and the unbound per-port outbound listeners 15001 hands off to (REDIRECT
 * mode), then the listeners a Sidecar resource declares with a port: bound egress listeners the app
 * calls on `127.0.0.1:<port>` and bound ingress listeners (explicit mode, DESIGN §1). `virtualOutbound`
 * stays even when every egress listener is bound: it is harmless when nothing is captured.
 * A pure function of the context, so CDS/RDS built from the same context agree on names.
 */
export function generateSidecarListeners(ctx: SidecarContext): object[] {
  const declared = [
    ...explicitEgressListeners(ctx).map(explicitEgressListener),
    ...explicitIngressListeners(ctx).map((ingress) => explicitIngressListener(ctx, ingress)),
  ];
  // Listener names must be unique. A declared listener keeps its name over an unbound per-service one
  // (`0.0.0.0_9080` as an ingress listener and as the outbound HTTP hand-off), and the first declared one
  // wins among declared ones (an egress and an ingress listener on the same address and port conflict).
  const names = new Set<string>();
  const unique = (listener: Record<string, unknown>): boolean => {
    const name = listener['name'] as string;
    if (names.has(name)) return false;
    names.add(name);
    return true;
  };
  const kept = declared.filter(unique);
  const perService = outboundPortListeners(ctx).filter(unique);
  return [virtualOutboundListener(ctx), virtualInboundListener(ctx), ...perService, ...kept].map(
    withTlsInspector,
  );
}
