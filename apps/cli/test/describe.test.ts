import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { describeResult } from '../src/diagnose/describe-result.js';
import { DiagnoseError, meshFromFiles } from '../src/diagnose/diagnose-mesh.js';
import { renderDescribe } from '../src/diagnose/render-describe.js';

/**
 * `meshctl describe pod` over YAML files: reviews-v1 selected by a Service, in subset v1 of its
 * DestinationRule (TLS ISTIO_MUTUAL, DISABLE on a port), routed to by a VirtualService that splits
 * v1/v2, under a namespace-wide STRICT PeerAuthentication with a PERMISSIVE port, and one ALLOW policy.
 */

const dir = mkdtempSync(join(tmpdir(), 'meshctl-describe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, version: string, ip: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
  labels: { app: reviews, version: ${version}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: reviews
  containers: [{ name: app, image: app, ports: [{ containerPort: 9080 }] }]
status: { podIP: ${ip} }
`;

const CONFIG = `apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec:
  clusterIP: 10.96.0.40
  selector: { app: reviews }
  ports: [{ name: http, port: 9080 }]
---
${pod('reviews-v1-0', 'v1', '10.0.0.41')}---
${pod('reviews-v2-0', 'v2', '10.0.0.42')}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: default }
spec:
  host: reviews
  trafficPolicy:
    tls: { mode: ISTIO_MUTUAL }
    portLevelSettings: [{ port: { number: 9443 }, tls: { mode: DISABLE } }]
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-split, namespace: default }
spec:
  hosts: [reviews]
  http:
    - route:
        - { destination: { host: reviews, subset: v1 }, weight: 75 }
        - { destination: { host: reviews, subset: v2 }, weight: 25 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-v2-only, namespace: default }
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{ route: [{ destination: { host: reviews, subset: v2 } }] }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: strict, namespace: default }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews-port, namespace: default }
spec:
  selector: { matchLabels: { app: reviews } }
  portLevelMtls: { 9080: { mode: PERMISSIVE } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-productpage, namespace: default }
spec:
  selector: { matchLabels: { app: reviews } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/default/sa/productpage] } }] }]
`;

async function mesh() {
  writeFileSync(join(dir, 'config.yaml'), CONFIG);
  return meshFromFiles([join(dir, 'config.yaml')]);
}

describe('describe pod over files', () => {
  it('describes services, subsets, routes, effective mTLS and policies (golden)', async () => {
    const result = describeResult(await mesh(), 'reviews-v1-0.default');
    expect(renderDescribe(result, 'table')).toBe(
      [
        'Pod: reviews-v1-0.default',
        '--------------------',
        'Service: reviews.default.svc.cluster.local',
        '   Port: http 9080/HTTP targets pod port 9080',
        'DestinationRule: reviews.default for "reviews.default.svc.cluster.local"',
        '   Matching subsets: v1',
        '      (Non-matching subsets v2)',
        '   Traffic Policy TLS Mode: ISTIO_MUTUAL',
        '   Port Level Settings:',
        '    9443:',
        '      TLS Mode: DISABLE',
        'VirtualService: reviews-split.default',
        '   Route to host "reviews.default.svc.cluster.local" subset "v1" with weight 75%',
        '   Route to host "reviews.default.svc.cluster.local" subset "v2" with weight 25%',
        '   1 HTTP route(s)',
        'VirtualService: reviews-v2-only.default',
        '   Route to host "reviews.default.svc.cluster.local" subset "v2"',
        '   WARNING: No destinations match pod subsets',
        '   1 HTTP route(s)',
        '--------------------',
        'Effective PeerAuthentication:',
        '   Workload mTLS mode: STRICT',
        '   Port Level mTLS mode:',
        '      9080: PERMISSIVE',
        'Applied PeerAuthentication:',
        '   reviews-port.default, strict.default',
        'AuthorizationPolicies:',
        '   ALLOW allow-productpage.default (1 rule(s))',
      ].join('\n'),
    );
  });

  it('gives the object for -o json, naming the policy that sets each mode', async () => {
    const result = describeResult(await mesh(), 'reviews', 'default');
    expect(result.instance).toBe('reviews-v1-0');
    expect(JSON.parse(renderDescribe(result, 'json'))).toMatchObject({
      source: 'files',
      mtls: {
        mode: 'STRICT',
        setBy: 'strict.default',
        ports: [{ port: 9080, mode: 'PERMISSIVE', policy: 'reviews-port.default' }],
      },
      services: [{ destinationRule: { matchingSubsets: ['v1'] } }],
    });
  });

  it('refuses an unknown pod, naming the known ones', async () => {
    const loaded = await mesh();
    expect(() => describeResult(loaded, 'nope.default')).toThrow(DiagnoseError);
    expect(() => describeResult(loaded, 'nope.default')).toThrow(
      /no workload or instance "nope" in namespace default/,
    );
  });
});
