import { readdirSync, readFileSync } from 'node:fs';

import type { EnvoyCluster, EnvoyListener, EnvoyLoadAssignment, EnvoyRouteConfiguration } from '@mesh/xds';
import { parse } from 'yaml';

/**
 * istiod's real output for the sidecar, as the generator's golden files hold it
 * (`libs/xds/src/generation/testdata/<kind>/<case>.out.yaml`). Testing the proxy against these ties
 * what the proxy does to what istiod sends it.
 */
const TESTDATA = new URL('../../../../libs/xds/src/generation/testdata/', import.meta.url);

function golden(path: string): unknown {
  return parse(readFileSync(new URL(path, TESTDATA), 'utf8'));
}

/** The cases of one kind (`sidecar-routes`, `sidecar-listeners`, `sidecar-clusters`). */
export function goldenCases(kind: string): string[] {
  return readdirSync(new URL(`${kind}/`, TESTDATA))
    .filter((f) => f.endsWith('.out.yaml'))
    .map((f) => f.slice(0, -'.out.yaml'.length))
    .sort();
}

/** Every route configuration (RDS) of a `sidecar-routes` case. */
export function goldenRouteConfigs(testCase: string): EnvoyRouteConfiguration[] {
  return golden(`sidecar-routes/${testCase}.out.yaml`) as EnvoyRouteConfiguration[];
}

/** One route configuration (RDS) of a `sidecar-routes` case, by name (the port, e.g. `"9080"`). */
export function goldenRouteConfig(testCase: string, name: string): EnvoyRouteConfiguration {
  const config = goldenRouteConfigs(testCase).find((c) => c.name === name);
  if (!config) throw new Error(`sidecar-routes/${testCase}: no route configuration ${name}`);
  return config;
}

/** Every listener (LDS) of a `sidecar-listeners` case. */
export function goldenListeners(testCase: string): EnvoyListener[] {
  return golden(`sidecar-listeners/${testCase}.out.yaml`) as EnvoyListener[];
}

/** The clusters (CDS) and endpoints (EDS) of a `sidecar-clusters` case. */
export function goldenClusters(testCase: string): {
  clusters: EnvoyCluster[];
  endpoints: EnvoyLoadAssignment[];
} {
  return golden(`sidecar-clusters/${testCase}.out.yaml`) as {
    clusters: EnvoyCluster[];
    endpoints: EnvoyLoadAssignment[];
  };
}
