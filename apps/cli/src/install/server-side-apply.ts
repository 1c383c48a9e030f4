import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

import { resourcePath } from '@mesh/kube';

import type { ClusterConnection } from './cluster-connection.js';
import { INSTALLED_KINDS } from './installed-objects.js';
import type { KubeObject } from './render-manifests.js';

/**
 * Server-side apply as a plain PATCH of the object's JSON (`application/apply-patch+yaml`; JSON is
 * YAML). Not client-node's KubernetesObjectApi.patch: that re-serializes the object through its typed
 * models, which drops fields it does not know under their wire names — a CRD's
 * `x-kubernetes-int-or-string` among them, which the API server then refuses.
 */

/** An API server's refusal, in the shape libs/kube's apiStatusOf reads (`code` and a Status `body`). */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}`);
  }
}

function pathOf(object: KubeObject): string {
  const kind = INSTALLED_KINDS.find((k) => k.kind === object.kind);
  if (!kind) throw new Error(`meshctl does not apply ${object.kind} objects`);
  const [group, version] = kind.apiVersion.includes('/') ? kind.apiVersion.split('/') : ['', kind.apiVersion];
  return resourcePath(
    { group: group as string, version: version as string, resource: kind.resource },
    { ...(kind.namespaced ? { namespace: object.metadata.namespace } : {}), name: object.metadata.name },
  );
}

export async function serverSideApplyRequest(
  cluster: ClusterConnection,
  object: KubeObject,
  fieldManager: string,
  force: boolean,
): Promise<void> {
  const url = new URL(cluster.server);
  const query = new URLSearchParams({ fieldManager, ...(force ? { force: 'true' } : {}) });
  const body = JSON.stringify(object);
  const options: RequestOptions = {
    method: 'PATCH',
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname.replace(/\/$/, '')}${pathOf(object)}?${query}`,
    headers: {
      'Content-Type': 'application/apply-patch+yaml',
      Accept: 'application/json',
      'Content-Length': Buffer.byteLength(body),
    },
  };
  await cluster.config.applyToHTTPSOptions(options);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  await new Promise<void>((resolve, reject) => {
    const req = send(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) resolve();
        else reject(new ApiRequestError(code, text));
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}
