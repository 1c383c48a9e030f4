import { readFile } from 'node:fs/promises';

import { Flags } from '@oclif/core';

import { DiagnoseError, EXIT } from './diagnose-mesh.js';

/**
 * istiod's debug endpoints (`/debug/syncz`, `/debug/config_dump?proxyID=`) on its monitoring port, as
 * `proxy-status` and `proxy-config` ask them. istiod answers loopback callers, or a bearer token it
 * verifies for an identity of its own namespace (a service-account token of istio-system); on a
 * cluster, `kubectl port-forward -n istio-system deploy/istiod 15014` makes a loopback caller of us.
 */

export const istiodFlags = {
  istiod: Flags.string({
    description: "istiod's monitoring address, where its /debug endpoints answer (http://HOST:15014)",
  }),
  'istiod-token-file': Flags.string({
    description:
      'a bearer token for istiod (a service-account token of its namespace), for a non-loopback istiod',
  }),
};

/** How to reach istiod on a cluster when no --istiod is given. */
export const NO_ISTIOD_ADDRESS =
  "on a cluster, name istiod's monitoring address with --istiod http://HOST:15014 (e.g. after " +
  'kubectl port-forward -n istio-system deploy/istiod 15014: --istiod http://127.0.0.1:15014)';

export interface IstiodDebugTarget {
  /** `http://HOST:PORT` of istiod's monitoring port. */
  address: string;
  tokenFile?: string;
}

/** The JSON istiod answers on `path`; a DiagnoseError (exit 1) saying why when it does not. */
export async function istiodDebugGet(target: IstiodDebugTarget, path: string): Promise<unknown> {
  let base: URL;
  try {
    base = new URL(target.address.includes('://') ? target.address : `http://${target.address}`);
  } catch {
    throw new DiagnoseError(`--istiod: "${target.address}" is not an address like http://HOST:15014`);
  }
  const url = new URL(path, base);
  const headers: Record<string, string> = {};
  if (target.tokenFile !== undefined) {
    const token = await readFile(target.tokenFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new DiagnoseError(`cannot read ${target.tokenFile}: ${err.code ?? err.message}`);
    });
    headers['authorization'] = `Bearer ${token.trim()}`;
  }
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    // fetch's own error only says "fetch failed": the reason (ECONNREFUSED, a timeout) is its cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new DiagnoseError(`istiod did not answer ${url.href} (${why})`, EXIT.found);
  }
  const body = await response.text();
  if (response.status === 401 || response.status === 403)
    throw new DiagnoseError(
      `istiod refused ${url.href} (${response.status}: ${body.trim()}): its debug endpoints answer loopback ` +
        'callers, or --istiod-token-file with a service-account token of its namespace',
      EXIT.found,
    );
  if (response.status !== 200)
    throw new DiagnoseError(
      `istiod answered ${url.href} with ${response.status}: ${body.trim()}`,
      EXIT.found,
    );
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new DiagnoseError(`istiod answered ${url.href} with something other than JSON`, EXIT.found);
  }
}

/** One resource of istiod's `/debug/config_dump` answer, by xDS type (CDS, LDS, RDS, EDS, SDS). */
interface ServedResource {
  name: string;
  resource?: Record<string, unknown>;
}

const ADMIN_TYPE = 'type.googleapis.com/envoy.admin.v3';

/**
 * What istiod serves a proxy (`/debug/config_dump?proxyID=`) in the shape of Envoy's own `/config_dump`,
 * so proxy-config summarizes it as it summarizes the sidecar's: clusters, listeners and routes. Secrets
 * are not there: a Kubernetes sidecar's agent serves them itself.
 */
export function envoyDumpOfServed(served: { configs?: Record<string, ServedResource[]> }): object {
  const of = (type: string) => (served.configs?.[type] ?? []).filter((r) => r.resource !== undefined);
  return {
    configs: [
      {
        '@type': `${ADMIN_TYPE}.ClustersConfigDump`,
        dynamic_active_clusters: of('CDS').map((r) => ({ cluster: r.resource })),
      },
      {
        '@type': `${ADMIN_TYPE}.ListenersConfigDump`,
        dynamic_listeners: of('LDS').map((r) => ({ name: r.name, active_state: { listener: r.resource } })),
      },
      {
        '@type': `${ADMIN_TYPE}.RoutesConfigDump`,
        dynamic_route_configs: of('RDS').map((r) => ({ route_config: r.resource })),
      },
    ],
  };
}
