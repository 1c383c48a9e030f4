import { readFile } from 'node:fs/promises';

import { Args, Command, Flags } from '@oclif/core';

import { DiagnoseError, EXIT, instancesNamed, runningMesh } from '../diagnose/diagnose-mesh.js';
import {
  ADMIN_PATH,
  PROXY_CONFIG_TYPES,
  proxyConfigSummary,
  renderProxyConfig,
  type ProxyConfigSummary,
  type ProxyConfigType,
} from '../diagnose/proxy-config.js';
import { adminGet } from '../diagnose/proxy-admin.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../diagnose/render-output.js';
import { resolveStateDir, stateDirFlagDefault } from '../local/state-dir.js';

/**
 * `meshctl proxy-config cluster|listener|route|endpoint|secret|log <workload>` (`istioctl proxy-config`):
 * what one sidecar of the local mesh holds, asked of its admin (loopback only, as Envoy's), summarized
 * in istioctl's columns; `--file` summarizes a saved `/config_dump` instead.
 */
export default class ProxyConfig extends Command {
  static override summary =
    "Summarize a sidecar's clusters, listeners, routes, endpoints, secrets or log levels.";
  static override description =
    'Asks the admin of the sidecar of <workload> (an instance, or the first instance of a workload) in the local mesh ' +
    'on --state-dir: cluster, listener, route and secret from /config_dump, endpoint from /clusters, log from ' +
    '/logging. --file FILE reads a saved config dump (cluster, listener, route, secret) instead. Exit codes: 0 ' +
    'shown, 1 the sidecar did not answer, 2 usage error or unreadable input, 3 no local mesh running (and no --file).';
  static override examples = [
    '<%= config.bin %> proxy-config cluster frontend',
    '<%= config.bin %> proxy-config secret backend-0 -o json',
    '<%= config.bin %> proxy-config listener --file config_dump.json',
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
    flags: { file?: string; 'state-dir': string },
  ): Promise<string> {
    if (flags.file !== undefined) {
      if (ADMIN_PATH[type] !== '/config_dump')
        throw new DiagnoseError(`--file holds a config dump: it has no ${type} (ask a running sidecar)`);
      return readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new DiagnoseError(`cannot read ${flags.file}: ${err.code ?? err.message}`);
      });
    }
    if (workload === undefined) throw new DiagnoseError('name the workload (or give --file)');
    const { instances } = runningMesh(resolveStateDir(flags['state-dir']));
    const instance = instancesNamed({ instances }, workload).find((i) => i.sidecar);
    if (instance === undefined) throw new DiagnoseError(`${workload} has no sidecar`);
    const body = await adminGet(instance, ADMIN_PATH[type]);
    if (body === undefined)
      throw new DiagnoseError(`the sidecar admin of ${instance.instance} did not answer`, EXIT.found);
    return body;
  }
}
