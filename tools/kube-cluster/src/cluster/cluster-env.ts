import { layoutPaths, readState } from './cluster-layout.js';

/** Single-quoted for a POSIX shell. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Shell-sourceable lines for a cluster directory: `export KUBECONFIG=…`, and the built kubectl and
 * helm by absolute path (`eval "$(npm run -s cluster -- env --dir DIR)"`, then `$KUBECTL get nodes`).
 */
export function envLines(dir: string, tools: { kubectl: string; helm: string }): string[] {
  const root = layoutPaths(dir).dir;
  if (!readState(root)) throw new Error(`${root} holds no cluster (no cluster.json)`);
  return [
    `export KUBECONFIG=${shellQuote(layoutPaths(root).kubeconfig)}`,
    `export KUBECTL=${shellQuote(tools.kubectl)}`,
    `export HELM=${shellQuote(tools.helm)}`,
  ];
}
