import type { SidecarContext } from '../sidecar-context.js';
import { virtualInboundListener } from './inbound-listener.js';
import { outboundPortListeners, virtualOutboundListener } from './outbound-listeners.js';

/**
 * LDS for a sidecar in REDIRECT mode (DESIGN §5 "Generators"; istio-facts §7.2): `virtualOutbound`
 * (15001), `virtualInbound` (15006) and the unbound per-port outbound listeners 15001 hands off to.
 * A pure function of the context, so CDS/RDS built from the same context agree on names.
 */
export function generateSidecarListeners(ctx: SidecarContext): object[] {
  return [virtualOutboundListener(ctx), virtualInboundListener(ctx), ...outboundPortListeners(ctx)];
}
