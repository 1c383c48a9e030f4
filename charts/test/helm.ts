import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { buildAll } from '@mesh/kube-cluster';
import { parseAllDocuments } from 'yaml';

/**
 * `$HELM`, else the helm tools/kube-cluster builds from its pinned module (a no-op once cached; on a
 * fresh machine the first test that needs the Kubernetes binaries builds them all), so every machine
 * renders the charts with the same helm release.
 */
async function helmBinary(): Promise<string> {
  if (process.env['HELM']) return process.env['HELM'];
  const helm = (await buildAll({ log: (line) => process.stderr.write(`${line}\n`) })).get('helm');
  if (helm === undefined) throw new Error('tools/kube-cluster built no helm');
  return helm;
}

export const HELM = await helmBinary();
export const CHARTS = join(import.meta.dirname, '..');
export const CHART_NAMES = ['base', 'istiod', 'gateway'] as const;
/** Istio's profiles this project ships (istio-facts §2.1), one files/profile-<name>.yaml in every chart. */
export const PROFILES = ['default', 'demo', 'minimal', 'remote', 'empty'] as const;

export function helm(args: string[]): string {
  return execFileSync(HELM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A rendered Kubernetes object, as loosely typed as the tests need. */
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

/** `helm template RELEASE charts/CHART -n NAMESPACE ...args` as objects. */
export function render(
  chart: string,
  args: string[] = [],
  release = chart,
  namespace = 'istio-system',
): KubeObject[] {
  const text = helm(['template', release, join(CHARTS, chart), '--namespace', namespace, ...args]);
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((doc): doc is KubeObject => doc !== null && typeof doc === 'object');
}

/** The one object of `kind` (named `name` when given); fails the test when there is not exactly one. */
export function only<T = KubeObject>(objects: KubeObject[], kind: string, name?: string): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0] as T;
}

/** helm's own failure text (stderr) for a render that must fail. */
export function renderError(chart: string, args: string[]): string {
  try {
    render(chart, args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`helm template ${chart} ${args.join(' ')} succeeded`);
}
