import type { VirtualServiceSpec } from '../api/networking/virtual-service.js';
import { selectorMatches } from '../evaluation/workload-selection.js';
import { specOf, type AnalysisContext } from './analysis-context.js';
import { newMessage, type AnalysisMessage } from './messages.js';

/** The pseudo-header prefix of JWT claim routing (`@request.auth.claims.groups`). */
const JWT_CLAIM_HEADER = '@request.auth.claims';
const ROOT_REQUEST_AUTHN_NAMESPACE = 'istio-system';

/**
 * Istio's `virtualservice.JWTClaimRouteAnalyzer`: a VirtualService that routes on JWT claims at a
 * gateway needs a RequestAuthentication on that gateway's pods (in their namespace or istio-system),
 * or the claims are never there to match (IST0149, once per gateway pod without one).
 */
export function analyzeJwtClaimRoutes(ctx: AnalysisContext): AnalysisMessage[] {
  const requestAuthn = ctx.ofKind('RequestAuthentication').map((ra) => ({
    namespace: ra.namespace,
    matchLabels: specOf(ra, 'RequestAuthentication').selector?.matchLabels ?? {},
  }));
  const messages: AnalysisMessage[] = [];
  for (const vs of ctx.ofKind('VirtualService')) {
    const spec = specOf(vs, 'VirtualService');
    const key = claimKey(spec.http ?? []);
    if (key === undefined) continue;
    for (const reference of spec.gateways ?? []) {
      if (reference === 'mesh') continue;
      const slash = reference.indexOf('/');
      const namespace = slash < 0 ? vs.namespace : reference.slice(0, slash);
      const name = slash < 0 ? reference : reference.slice(slash + 1);
      // A missing gateway is virtualservice.GatewayAnalyzer's IST0101.
      const gateway = ctx.find('Gateway', namespace, name);
      if (gateway === undefined) continue;
      const selector = specOf(gateway, 'Gateway').selector ?? {};
      for (const pod of ctx.workloads()) {
        if (!selectorMatches({ matchLabels: selector }, pod.labels)) continue;
        const authenticated = requestAuthn.some(
          (ra) =>
            (ra.namespace === ROOT_REQUEST_AUTHN_NAMESPACE || ra.namespace === pod.namespace) &&
            selectorMatches({ matchLabels: ra.matchLabels }, pod.labels),
        );
        if (authenticated) continue;
        messages.push(
          newMessage(
            'JwtClaimBasedRoutingWithoutRequestAuthN',
            vs,
            `The virtual service uses the JWT claim based routing (key: ${key}) but found no request authentication ` +
              `for the gateway (${namespace}/${name}) pod (${pod.name}). The request authentication must first be ` +
              'applied for the gateway pods to validate the JWT token and make the claims available for routing.',
          ),
        );
      }
    }
  }
  return messages;
}

type HttpRoutes = NonNullable<VirtualServiceSpec['http']>;

/** The first header (or withoutHeaders) key of a match that is a JWT claim. */
function claimKey(routes: HttpRoutes): string | undefined {
  for (const route of routes)
    for (const match of route.match ?? [])
      for (const key of [...Object.keys(match.headers ?? {}), ...Object.keys(match.withoutHeaders ?? {})])
        if (key.startsWith(JWT_CLAIM_HEADER)) return key;
  return undefined;
}
