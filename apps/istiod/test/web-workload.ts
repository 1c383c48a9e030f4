import type { JsonValue } from '@mesh/xds';

import type { RunningIstiod } from '../src/server/istiod.js';

/** A `web` Service and the node of a sidecar that registers as its endpoint, for registration tests. */

export const WEB_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`;

export const WEB_NODE_ID = 'sidecar~127.0.0.5~web-1.default~default.svc.cluster.local';

export function webMetadata(overrides: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return {
    NAME: 'web-1',
    NAMESPACE: 'default',
    SERVICE_ACCOUNT: 'web',
    INSTANCE_IPS: '127.0.0.5',
    LABELS: { app: 'web' },
    POD_PORTS: '[{"name":"http","containerPort":8080}]',
    ...overrides,
  };
}

/** The endpoints of `web` in what istiod serves now, as `address:port serviceAccount tlsMode`. */
export function webEndpoints(istiod: RunningIstiod): string[] {
  const snapshot = istiod.snapshot();
  const web = snapshot.service('web.default.svc.cluster.local');
  return web
    ? snapshot
        .endpoints(web, web.ports[0]!)
        .map((e) => `${e.address}:${e.port} ${e.serviceAccount} ${e.tlsMode}`)
    : [];
}
