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
  return composeSidecarListeners(
    generateSidecarOwnListeners(ctx),
    generateSidecarSharedListeners(ctx),
    nameOf,
  );
}

/**
 * The per-port outbound listeners 15001 hands off to: the same for every proxy of one scope (namespace
 * and Sidecar resource). A declared listener of the same name takes precedence (see below).
 */
export function generateSidecarSharedListeners(ctx: SidecarContext): object[] {
  return outboundPortListeners(ctx).map(withTlsInspector);
}

/** A proxy's own listeners: the two virtual ones, and those its Sidecar resource declares with a port. */
export interface SidecarOwnListeners<T> {
  /** `virtualOutbound`, `virtualInbound` (its ports, mTLS and RBAC). */
  virtual: T[];
  /** Bound egress listeners the app calls on `127.0.0.1:<port>`, bound ingress listeners. */
  declared: T[];
}

/** The listeners that depend on the proxy. Names are unique: the first declared one wins. */
export function generateSidecarOwnListeners(ctx: SidecarContext): SidecarOwnListeners<object> {
  const declared = [
    ...explicitEgressListeners(ctx).map(explicitEgressListener),
    ...explicitIngressListeners(ctx).map((ingress) => explicitIngressListener(ctx, ingress)),
  ];
  const names = new Set<string>();
  const unique = declared.filter((listener) => {
    const name = listener['name'] as string;
    if (names.has(name)) return false;
    names.add(name);
    return true;
  });
  return {
    virtual: [virtualOutboundListener(ctx), virtualInboundListener(ctx)].map(withTlsInspector),
    declared: unique.map(withTlsInspector),
  };
}

/**
 * The one place LDS order is written: the virtual listeners, the shared ones the proxy's own do not
 * already name (`0.0.0.0_9080` as an ingress listener and as the outbound HTTP hand-off: listener names
 * must be unique), then the declared ones. Generic over what a listener is, so the serving cache orders
 * encoded listeners exactly as generation orders objects.
 */
export function composeSidecarListeners<T>(
  own: SidecarOwnListeners<T>,
  shared: readonly T[],
  nameOf: (listener: T) => string,
): T[] {
  const taken = new Set([...own.virtual, ...own.declared].map(nameOf));
  return [...own.virtual, ...shared.filter((listener) => !taken.has(nameOf(listener))), ...own.declared];
}

function nameOf(listener: object): string {
  return (listener as { name: string }).name;
}
