import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { AdsClient, TypeUrl } from '@mesh/xds';
import { afterEach, describe, expect, it } from 'vitest';

import { workloadFromNode } from '../src/registry/self-registration.js';
import type { RunningIstiod } from '../src/server/istiod.js';
import { startTestIstiod, tempDir } from './istiod-harness.js';

const WEB_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`;

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('self-registration', () => {
  let istiod: RunningIstiod | undefined;
  let client: AdsClient | undefined;
  afterEach(async () => {
    client?.close();
    await istiod?.close();
  });

  it('reads a workload from Istio node metadata, and ignores nodes without it', () => {
    const node = {
      id: 'sidecar~127.0.0.5~web-1.default~default.svc.cluster.local',
      cluster: '',
      metadata: {
        NAME: 'web-1',
        NAMESPACE: 'default',
        SERVICE_ACCOUNT: 'web',
        INSTANCE_IPS: '127.0.0.5,fd00::5',
        LABELS: { app: 'web' },
        POD_PORTS: '[{"name":"http","containerPort":8080}]',
      },
    };
    expect(workloadFromNode(node)).toEqual({
      name: 'web-1',
      namespace: 'default',
      address: '127.0.0.5',
      labels: { app: 'web' },
      serviceAccount: 'web',
      namedPorts: { http: 8080 },
      locality: undefined,
      tlsMode: 'istio',
      origin: 'registered',
    });
    expect(workloadFromNode({ ...node, metadata: { NAMESPACE: 'default' } })).toBeUndefined();
  });

  it('makes a connected proxy an endpoint of the services selecting it, and removes it after it leaves', async () => {
    const config = tempDir('istiod-config-');
    writeFileSync(join(config, 'web.yaml'), WEB_SERVICE);
    istiod = await startTestIstiod(tempDir('istiod-state-'), [
      '--config-dir',
      config,
      '--push-debounce',
      '10ms',
    ]);
    const endpoints = () => {
      const snapshot = istiod!.snapshot();
      const web = snapshot.service('web.default.svc.cluster.local');
      return web
        ? snapshot.endpoints(web, web.ports[0]!).map((e) => `${e.address}:${e.port} ${e.serviceAccount}`)
        : [];
    };
    expect(endpoints()).toEqual([]);

    client = new AdsClient({
      target: `127.0.0.1:${istiod.ports.xds}`,
      node: {
        id: 'sidecar~127.0.0.5~web-1.default~default.svc.cluster.local',
        metadata: {
          NAME: 'web-1',
          NAMESPACE: 'default',
          SERVICE_ACCOUNT: 'web',
          INSTANCE_IPS: '127.0.0.5',
          LABELS: { app: 'web' },
          POD_PORTS: '[{"name":"http","containerPort":8080}]',
        },
      },
    });
    client.subscribe(TypeUrl.Cluster);
    client.start();
    await until(() => endpoints().length === 1, 5000, 'registration');
    expect(endpoints()).toEqual(['127.0.0.5:8080 web']);

    client.close();
    client = undefined;
    await new Promise((r) => setTimeout(r, 1000));
    expect(endpoints()).toEqual(['127.0.0.5:8080 web']); // still there during the grace period
    await until(() => endpoints().length === 0, 6000, 'removal after the grace period');
  });
});
