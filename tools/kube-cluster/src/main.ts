#!/usr/bin/env node
/**
 * `npm run cluster -- <command>`: a real Kubernetes control plane on loopback, by hand.
 *
 *   build                       builds the binaries into the cache (a no-op when they are there)
 *   up --dir DIR [--port N]     builds if needed, starts the cluster, returns once it is ready
 *   down --dir DIR              stops what `up` started in DIR
 *   env --dir DIR               prints `export KUBECONFIG=… KUBECTL=… HELM=…` for a shell to eval
 *   go-mod [--kubernetes vX.Y.Z] [--kwok V] [--helm V]
 *                               regenerates go/kubernetes/go.mod for other releases
 *
 * Progress goes to stderr, so `eval "$(npm run -s cluster -- env --dir DIR)"` sees only the env lines.
 */
import { parseArgs } from 'node:util';

import { buildAll, builtFiles } from './build/go-build.js';
import { currentReleases, writeKubernetesGoMod } from './build/kubernetes-go-mod.js';
import { down } from './cluster/cluster-down.js';
import { envLines } from './cluster/cluster-env.js';
import { up } from './cluster/cluster-up.js';
import { kubernetesVersion } from './build/go-components.js';

const USAGE = `usage: npm run cluster -- <command>

  build                      build kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
                             etcd, kwok and helm from their pinned Go modules (cached: a no-op when built)
  up --dir DIR [--port N]    start a cluster in DIR (builds first if needed); DIR/kubeconfig is cluster-admin
  down --dir DIR             stop every process the cluster in DIR runs
  env --dir DIR              print shell lines: export KUBECONFIG=…, KUBECTL=…, HELM=…
  go-mod [--kubernetes vX.Y.Z] [--kwok V] [--helm V]
                             regenerate go/kubernetes/go.mod and go.sum (a release not given stays)`;

const log = (line: string) => process.stderr.write(`${line}\n`);

function requireDir(dir: string | undefined, command: string): string {
  if (!dir) throw new Error(`${command} needs --dir DIR\n\n${USAGE}`);
  return dir;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--port: not a TCP port: ${value}`);
  return port;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      kubernetes: { type: 'string' },
      kwok: { type: 'string' },
      helm: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  switch (command) {
    case 'build':
      await buildAll({ log });
      log('the Kubernetes binaries are built');
      return 0;
    case 'up': {
      const dir = requireDir(values.dir, command);
      const files = await buildAll({ log });
      const state = await up({
        dir,
        files,
        kubernetesVersion: kubernetesVersion(),
        apiServerPort: parsePort(values.port),
        log,
      });
      log(`cluster ready: Kubernetes ${state.kubernetesVersion} at ${state.server}`);
      log(`  kubeconfig: ${dir}/kubeconfig (cluster-admin); logs: ${dir}/logs/`);
      log(`  eval "$(npm run -s cluster -- env --dir ${dir})" && $KUBECTL get nodes`);
      return 0;
    }
    case 'down': {
      const stopped = await down(requireDir(values.dir, command), log);
      log(stopped.length === 0 ? 'nothing was running' : `stopped ${stopped.length} processes`);
      return 0;
    }
    case 'env': {
      const files = await builtFiles();
      const tool = (name: string) => files.get(name) ?? '';
      for (const line of envLines(requireDir(values.dir, command), {
        kubectl: tool('kubectl'),
        helm: tool('helm'),
      }))
        console.log(line);
      return 0;
    }
    case 'go-mod': {
      const current = currentReleases();
      const pick = (name: 'kubernetes' | 'kwok' | 'helm') => {
        const version = values[name] ?? current[name];
        if (!version) throw new Error(`go-mod needs --${name} (go.mod pins none)`);
        return version;
      };
      log(
        `wrote ${writeKubernetesGoMod({ kubernetes: pick('kubernetes'), kwok: pick('kwok'), helm: pick('helm') })}`,
      );
      return 0;
    }
    default:
      throw new Error(`unknown command: ${command}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`cluster: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
