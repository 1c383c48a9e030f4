import { readFile } from 'node:fs/promises';

import { Args, Command, Flags } from '@oclif/core';

import { clusterFlags } from '../diagnose/cluster-objects.js';
import { DiagnoseError, EXIT, instancesNamed, type DiagnoseInstance } from '../diagnose/diagnose-mesh.js';
import { envoyDumpOfServed, istiodDebugGet, istiodFlags } from '../diagnose/istiod-debug.js';
import {
  ADMIN_PATH,
  PROXY_CONFIG_TYPES,
  proxyConfigSummary,
  renderProxyConfig,
  type ProxyConfigSummary,
  type ProxyConfigType,
} from '../diagnose/proxy-config.js';
import { adminGet } from '../diagnose/proxy-admin.js';
import { proxySource, type ProxySource, type ProxySourceOptions } from '../diagnose/proxy-source.js';
import { connectedProxyId, type SynczProxy } from '../diagnose/proxy-status.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../diagnose/render-output.js';
import { stateDirFlagDefault } from '../local/state-dir.js';

/**
 * `meshctl proxy-config cluster|listener|route|endpoint|secret|log <workload>` (`istioctl proxy-config`):
 * what one sidecar of the local mesh holds, asked of its admin (loopback only, as Envoy's), summarized
 * in istioctl's columns; on a cluster, what istiod serves the pod's sidecar (its `/debug/config_dump`:
 * the sidecar's admin is in the pod); `--file` summarizes a saved `/config_dump` instead.
 */
export default class ProxyConfig extends Command {
  static override summary =
    "Summarize a sidecar's clusters, listeners, routes, endpoints, secrets or log levels.";
  static override description =
    'Asks the admin of the sidecar of <workload> (an instance, or the first instance of a workload) in the local mesh ' +
    'on --state-dir: cluster, listener, route and secret from /config_dump, endpoint from /clusters, log from ' +
    '/logging. On the cluster of --kubeconfig/--context, <workload> is a pod (or its app label) and cluster, ' +
    'listener and route are what the istiod at --istiod (its monitoring address) serves its sidecar. --file FILE ' +
    'reads a saved config dump (cluster, listener, route, secret) instead. Exit codes: 0 shown, 1 the sidecar ' +
    '(or istiod) did not answer, 2 usage error or unreadable input, 3 no local mesh running (and no --file) or ' +
    'the cluster cannot be read.';
  static override examples = [
    '<%= config.bin %> proxy-config cluster frontend',
    '<%= config.bin %> proxy-config secret backend-0 -o json',
    '<%= config.bin %> proxy-config listener --file config_dump.json',
    '<%= config.bin %> proxy-config cluster reviews-v1 --kubeconfig ~/.kube/config --istiod http://127.0.0.1:15014',
  ];
  static override args = {
    type: Args.string({ required: true, options: [...PROXY_CONFIG_TYPES], description: 'what to show' }),
    workload: Args.string({ description: 'workload or instance (frontend, frontend-0)' }),
  };
  static override flags = {
    file: Flags.string({
      char: 'f',
      description: 'a saved Envoy /config_dump (JSON) instead of a running sidecar',
    }),
    ...clusterFlags,
    ...istiodFlags,
    'state-dir': Flags.string({
      default: stateDirFlagDefault(),
      description: 'state directory of the local mesh (env MESH_STATE_DIR)',
    }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<ProxyConfigSummary> {
    const { args, flags } = await this.parse(ProxyConfig);
    const type = args.type as ProxyConfigType;
    let result: ProxyConfigSummary;
    try {
      result = proxyConfigSummary(type, await this.#answer(type, args.workload, flags));
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      if (err instanceof SyntaxError)
        this.error(`not a JSON config dump: ${err.message}`, { exit: EXIT.usage });
      throw err;
    }
    this.log(renderProxyConfig(result, flags.output as OutputFormat));
    return result;
  }

  async #answer(
    type: ProxyConfigType,
    workload: string | undefined,
    flags: ProxySourceOptions & { file?: string },
  ): Promise<string> {
    if (flags.file !== undefined) {
      if (ADMIN_PATH[type] !== '/config_dump')
        throw new DiagnoseError(`--file holds a config dump: it has no ${type} (ask a running sidecar)`);
      return readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new DiagnoseError(`cannot read ${flags.file}: ${err.code ?? err.message}`);
      });
    }
    if (workload === undefined) throw new DiagnoseError('name the workload (or give --file)');
    const source = await proxySource(flags);
    const instance = instancesNamed(source, workload).find((i) => i.sidecar);
    if (instance === undefined) throw new DiagnoseError(`${workload} has no sidecar`);
    if (source.source === 'cluster') return this.#served(type, instance, source);
    const body = await adminGet(instance, ADMIN_PATH[type]);
    if (body === undefined)
      throw new DiagnoseError(`the sidecar admin of ${instance.instance} did not answer`, EXIT.found);
    return body;
  }

  /** What istiod serves the pod's sidecar, as an Envoy config dump. */
  async #served(type: ProxyConfigType, instance: DiagnoseInstance, source: ProxySource): Promise<string> {
    if (type !== 'cluster' && type !== 'listener' && type !== 'route')
      throw new DiagnoseError(
        `on a cluster, ${type} is known to the sidecar itself (its admin, in the pod), not to istiod: ` +
          'ask for cluster, listener or route',
      );
    const syncz = (await istiodDebugGet(source.istiod, '/debug/syncz')) as SynczProxy[];
    const proxyId = connectedProxyId(syncz, instance);
    if (proxyId === undefined)
      throw new DiagnoseError(
        `the sidecar of ${instance.instance}.${instance.namespace} is not connected to istiod`,
        EXIT.found,
      );
    const served = await istiodDebugGet(
      source.istiod,
      `/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`,
    );
    return JSON.stringify(envoyDumpOfServed(served as Parameters<typeof envoyDumpOfServed>[0]));
  }
}
