import { readFileSync, writeFileSync } from 'node:fs';

import { Command, Flags } from '@oclif/core';

import { injectManifests, ManifestError, type InjectedManifests } from '../kube-inject/inject-manifests.js';
import { InjectionSourceError, loadInjectionSettings } from '../kube-inject/injection-sources.js';

/** Largest input read (a manifest stream, not a data file): refused above it, unread. */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/**
 * `meshctl kube-inject -f FILE|-`: istioctl's manual injection. The pods of the input (Pods and the
 * templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, also inside
 * `List`s and multi-document streams) get the sidecar from the same pure function as istiod's
 * `/inject` webhook; other objects pass through unchanged. The injector's settings come from files,
 * or from the cluster with `--kubeconfig`, else Istio's defaults. Exit codes: 0 done, 1 an input or
 * settings error (the message names the document, annotation or ConfigMap), 2 usage error.
 */
export default class KubeInject extends Command {
  static override summary = 'Inject the sidecar into Kubernetes workload YAML offline.';
  static override description =
    'Reads Kubernetes YAML (a file or - for stdin) and writes it back with the istio-proxy sidecar injected into every ' +
    "pod template, exactly as istiod's injection webhook would. Settings: --injectConfigFile (the config key of the " +
    'istio-sidecar-injector ConfigMap), --valuesFile (its values key) and --meshConfigFile (the mesh key of the istio ' +
    'ConfigMap); what no file gives is read from the cluster when --kubeconfig or --context is given, else Istio defaults.';
  static override examples = [
    '<%= config.bin %> kube-inject -f deploy.yaml | kubectl apply -f -',
    '<%= config.bin %> kube-inject -f deploy.yaml --kubeconfig ~/.kube/config -o injected.yaml',
    '<%= config.bin %> kube-inject -f - --injectConfigFile inject-config.yaml --valuesFile values.json < deploy.yaml',
  ];

  static override flags = {
    filename: Flags.string({ char: 'f', required: true, description: 'input file, or - for stdin' }),
    output: Flags.string({
      char: 'o',
      description: 'write the injected YAML to this file instead of stdout',
    }),
    injectConfigFile: Flags.string({
      description: 'injection config (the config key of istio-sidecar-injector)',
    }),
    valuesFile: Flags.string({ description: 'injection values (the values key of istio-sidecar-injector)' }),
    meshConfigFile: Flags.string({ description: 'MeshConfig (the mesh key of the istio ConfigMap)' }),
    kubeconfig: Flags.string({ char: 'c', description: 'read the settings no file gives from this cluster' }),
    context: Flags.string({ description: 'kubeconfig context to use' }),
    namespace: Flags.string({
      char: 'n',
      default: 'default',
      description: 'namespace of objects that name none',
    }),
    istioNamespace: Flags.string({
      char: 'i',
      default: 'istio-system',
      description: 'namespace of the control plane',
    }),
    revision: Flags.string({ char: 'r', default: '', description: 'control plane revision' }),
    injectConfigMapName: Flags.string({ default: 'istio-sidecar-injector', hidden: true }),
    meshConfigMapName: Flags.string({ default: 'istio', description: 'name of the MeshConfig ConfigMap' }),
  };

  async run(): Promise<InjectedManifests> {
    const { flags } = await this.parse(KubeInject);
    let text: string;
    try {
      text = readFileSync(flags.filename === '-' ? 0 : flags.filename, 'utf8');
    } catch (err) {
      this.error(
        `cannot read ${flags.filename}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        {
          exit: 2,
        },
      );
    }
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES)
      this.error(`${flags.filename} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB`, { exit: 1 });
    const clustered = flags.kubeconfig !== undefined || flags.context !== undefined;
    let result: InjectedManifests;
    try {
      const { settings, sources } = await loadInjectionSettings({
        injectConfigFile: flags.injectConfigFile,
        valuesFile: flags.valuesFile,
        meshConfigFile: flags.meshConfigFile,
        ...(clustered ? { cluster: { kubeconfig: flags.kubeconfig, context: flags.context } } : {}),
        istioNamespace: flags.istioNamespace,
        revision: flags.revision,
        injectConfigMapName: flags.injectConfigMapName,
        meshConfigMapName: flags.meshConfigMapName,
      });
      for (const source of sources) this.logToStderr(`kube-inject: ${source}`);
      result = injectManifests(
        text,
        flags.filename === '-' ? '<stdin>' : flags.filename,
        settings,
        flags.namespace,
      );
    } catch (err) {
      if (err instanceof InjectionSourceError || err instanceof ManifestError)
        this.error(err.message, { exit: 1 });
      throw err;
    }
    for (const object of result.objects)
      if (object.decision && !object.decision.inject)
        this.logToStderr(
          `kube-inject: ${object.kind} ${object.namespace}/${object.name} not injected: ${object.decision.reason}`,
        );
    if (flags.output) writeFileSync(flags.output, result.yaml);
    else process.stdout.write(result.yaml);
    return result;
  }
}
