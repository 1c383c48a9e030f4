import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseAllDocuments, stringify } from 'yaml';

import { runHelm } from './chart-sources.js';
import type { Component, InstallValues } from './install-values.js';

/**
 * The charts of a profile rendered with the real `helm template`, one release per component, as
 * `helm install` of the seeds would name them: `base` (charts/base), `istiod` (charts/istiod) and the
 * ingress gateway `istio-ingressgateway[-<revision>]` (charts/gateway, in the Istio namespace as
 * istioctl puts it). The values go to helm as one file, so helm itself applies them to each chart.
 */

/** A Kubernetes object as rendered, as loosely typed as install needs. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface ComponentManifest {
  component: Component;
  chart: string;
  release: string;
  /** helm's output as it printed it. */
  yaml: string;
  objects: KubeObject[];
}

export interface ChartRelease {
  component: Component;
  chart: string;
  release: string;
}

export function chartReleases(install: InstallValues): ChartRelease[] {
  const suffix = install.revision === '' ? '' : `-${install.revision}`;
  const all: Record<Component, ChartRelease> = {
    Base: { component: 'Base', chart: 'base', release: 'base' },
    Pilot: { component: 'Pilot', chart: 'istiod', release: `istiod${suffix}` },
    IngressGateways: {
      component: 'IngressGateways',
      chart: 'gateway',
      release: `istio-ingressgateway${suffix}`,
    },
  };
  return install.components.map((component) => all[component]);
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseObjects(yaml: string, where: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]?.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && typeof o.kind === 'string');
}

/** `helm template` of every component of the profile. */
export function renderManifests(
  helm: string,
  chartsDir: string,
  install: InstallValues,
): ComponentManifest[] {
  const dir = mkdtempSync(join(tmpdir(), 'meshctl-values-'));
  try {
    const valuesFile = join(dir, 'values.yaml');
    writeFileSync(valuesFile, stringify(install.values), { mode: 0o600 });
    return chartReleases(install).map(({ component, chart, release }) => {
      const yaml = runHelm(helm, [
        'template',
        release,
        join(chartsDir, chart),
        '--namespace',
        install.istioNamespace,
        '--values',
        valuesFile,
      ]);
      return { component, chart, release, yaml, objects: parseObjects(yaml, `${chart} chart`) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
