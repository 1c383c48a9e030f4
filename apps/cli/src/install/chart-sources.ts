import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/**
 * Where `meshctl install` finds the charts and the `helm` it renders them with.
 *
 * Charts: `--manifests`/`-d DIR` (istioctl's flag for its install package), else the `@mesh/charts`
 * package as Node resolves it from this module — in the repository that is the workspace link
 * `node_modules/@mesh/charts` → `charts/`, so `npx meshctl` from a checkout uses the checkout's
 * charts; an installed meshctl would carry them as that dependency.
 *
 * helm: `$HELM`, else `helm` on PATH, else (in a checkout) the helm that tools/kube-cluster built
 * from its pinned module. The first that exists wins; each is run as a program, never through a shell.
 */

export const CHART_DIRS = ['base', 'istiod', 'gateway'] as const;

export class ChartSourceError extends Error {
  override readonly name = 'ChartSourceError';
}

const require = createRequire(import.meta.url);

function resolvePackageDir(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

export function locateCharts(manifests?: string): string {
  const dir = manifests ?? resolvePackageDir('@mesh/charts');
  if (dir === undefined)
    throw new ChartSourceError(
      'cannot find the charts: pass --manifests DIR (the directory holding base/, istiod/ and gateway/)',
    );
  const missing = CHART_DIRS.filter((chart) => !existsSync(join(dir, chart, 'Chart.yaml')));
  if (missing.length > 0)
    throw new ChartSourceError(`${dir} is not a charts directory: no ${missing[0]}/Chart.yaml`);
  return dir;
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, program);
    if (dir !== '' && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** tools/kube-cluster/.cache/kubernetes-<version>-<hash>/helm beside the charts of a checkout, newest first. */
function kubeClusterHelm(chartsDir: string): string | undefined {
  const cache = join(chartsDir, '..', 'tools', 'kube-cluster', '.cache');
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache)
    .filter((entry) => entry.startsWith('kubernetes-'))
    .map((entry) => join(cache, entry, 'helm'))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

export function locateHelm(chartsDir: string): string {
  const fromEnv = process.env['HELM'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ChartSourceError(`HELM=${fromEnv}: no such file`);
    return fromEnv;
  }
  const found = onPath('helm') ?? kubeClusterHelm(chartsDir);
  if (found === undefined)
    throw new ChartSourceError('cannot find helm: put helm (v3) on PATH or name it with HELM=/path/to/helm');
  return found;
}

/** `helm ARGS` to its end; stdout, or a ChartSourceError with helm's own message. */
export function runHelm(helm: string, args: string[]): string {
  const result = spawnSync(helm, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new ChartSourceError(`cannot run ${helm}: ${result.error.message}`);
  if (result.status !== 0)
    throw new ChartSourceError(`helm ${args[0]} failed: ${result.stderr.trim() || `exit ${result.status}`}`);
  return result.stdout;
}
