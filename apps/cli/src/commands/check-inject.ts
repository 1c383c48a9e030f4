import { Args, Command, Flags } from '@oclif/core';

import { readCheckInjectFacts } from '../diagnose/check-inject-cluster.js';
import { checkInjectResult, type CheckInjectResult } from '../diagnose/check-inject-result.js';
import { DiagnoseError, EXIT } from '../diagnose/diagnose-mesh.js';
import { renderCheckInject } from '../diagnose/render-check-inject.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../diagnose/render-output.js';

/** `app=x,version=v1` as labels; a clear error for anything else. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').filter((p) => p !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new DiagnoseError(`--labels: "${pair}" is not key=value`);
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return labels;
}

/**
 * `meshctl check-inject [POD[.NS]] [-n NS] [-l k=v,...]`: istioctl's `x check-inject` — whether a pod
 * gets a sidecar and which rule decided, computed by the injector's own decision (libs/kube).
 */
export default class CheckInject extends Command {
  static override summary = 'Check whether a pod, or a pod created in a namespace, gets a sidecar, and why.';
  static override description =
    'Reads the cluster (--kubeconfig/--context): the namespace labels, the pod(s), the injector settings ' +
    '(ConfigMap istio-sidecar-injector) and the injection webhooks (MutatingWebhookConfigurations labelled ' +
    'app=sidecar-injector). With POD, that pod; with -l, a pod to be created in -n with those labels; with ' +
    'neither, every pod of the namespace (or a new pod without labels when it has none). INJECTED says whether ' +
    'the pod, created now, gets a sidecar; RULE names the rule that decided (namespace-label-enabled, ' +
    'pod-label, pod-annotation, never-inject-selector, ...); SIDECAR says whether it runs with one now. ' +
    'Exit codes: 0 checked, 1 warnings (no injection webhook configured, or a pod whose sidecar differs ' +
    'from the decision: restart it), 2 usage error, unknown pod or namespace, or no cluster reachable.';
  static override examples = [
    '<%= config.bin %> check-inject -n default',
    '<%= config.bin %> check-inject web-5d9c7.default',
    '<%= config.bin %> check-inject -n shop -l app=cart,version=v1 -o json',
  ];
  static override args = {
    pod: Args.string({ description: 'pod, as name or name.namespace' }),
  };
  static override flags = {
    namespace: Flags.string({ char: 'n', default: 'default', description: 'namespace' }),
    labels: Flags.string({ char: 'l', description: 'labels of a pod to be created (app=x,version=v1)' }),
    kubeconfig: Flags.string({ char: 'c', description: 'kubeconfig file' }),
    context: Flags.string({ description: 'kubeconfig context to use' }),
    istioNamespace: Flags.string({ char: 'i', default: 'istio-system', description: 'Istio namespace' }),
    revision: Flags.string({ char: 'r', default: '', description: 'control plane revision' }),
    output: Flags.string({ char: 'o', options: [...OUTPUT_FORMATS], default: 'table' }),
  };

  async run(): Promise<CheckInjectResult> {
    const { args, flags } = await this.parse(CheckInject);
    let result: CheckInjectResult;
    try {
      if (args.pod !== undefined && flags.labels !== undefined)
        throw new DiagnoseError('give a POD or -l labels, not both');
      // istioctl's name[.namespace]: the namespace follows the last dot (pod names may contain dots).
      const dot = args.pod?.lastIndexOf('.') ?? -1;
      const pod = dot < 0 ? args.pod : args.pod?.slice(0, dot);
      const podNamespace = dot < 0 ? undefined : args.pod?.slice(dot + 1);
      const facts = await readCheckInjectFacts({
        ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
        ...(flags.context === undefined ? {} : { context: flags.context }),
        namespace: podNamespace ?? flags.namespace,
        ...(pod === undefined ? {} : { pod }),
        ...(flags.labels === undefined ? {} : { labels: parseLabels(flags.labels) }),
        istioNamespace: flags.istioNamespace,
        revision: flags.revision,
      });
      result = checkInjectResult(facts);
    } catch (err) {
      if (err instanceof DiagnoseError) this.error(err.message, { exit: err.exit });
      throw err;
    }
    this.log(renderCheckInject(result, flags.output as OutputFormat));
    if (result.warnings.length > 0) this.exit(EXIT.found);
    return result;
  }
}
