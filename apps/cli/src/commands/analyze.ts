import { Args, Command, Flags } from '@oclif/core';
import {
  ANALYSIS_LEVELS,
  ANALYZERS,
  ISTIO_ANALYSIS_CODES,
  SCHEMA_ANALYZER,
  analyzeConfig,
  buildAnalysisInput,
  formatFinding,
  isAtLeast,
  type AnalysisFile,
  type AnalysisLevel,
  type MeshConfigValidation,
  type ResolvedMeshConfig,
  type Suppression,
} from '@mesh/policy';

import { readFileForAnalysis, readMeshConfigForAnalysis } from '../analyze/read-analysis-files.js';
import { CLUSTER_SOURCE, readClusterForAnalysis } from '../analyze/read-cluster.js';
import { LocalStateError, readLocalStateForAnalysis } from '../analyze/read-local-state.js';
import {
  EXIT_USAGE,
  exitCodeOf,
  renderAnalysis,
  renderAnalyzerList,
  renderAnalysisStatus,
  type AnalysisFormat,
  type AnalysisReport,
} from '../analyze/render-analysis.js';
import { ClusterReadError, clusterFlags } from '../diagnose/cluster-objects.js';
import { collectConfigFiles } from '../validate/collect-files.js';

const FORMATS: readonly AnalysisFormat[] = ['log', 'json', 'yaml', 'sarif'];

/**
 * `meshctl analyze FILE|DIR|-...`: `istioctl analyze --use-kube=false`: Istio's analyzers (their
 * codes, levels and texts) over YAML files, with the messages on standard output and the verdict on
 * standard error, as istioctl prints them. Exit codes are istioctl's (see render-analysis.ts): 0 no
 * issue at or above --failure-threshold, 79 issues found, 1 unreadable or unparsable input, 64 usage.
 */
export default class Analyze extends Command {
  static override summary = 'Analyze Istio configuration files and print validation messages.';
  static override description =
    'Runs Istio\'s configuration analyzers ("istioctl analyze") over YAML files: directories are searched ' +
    'recursively, "-" is standard input. Resources without a namespace are in --namespace. With --local-state ' +
    'DIR, the local mesh running on DIR: the files of its config directory and its workload instances as Pods ' +
    '(any files given are analyzed with them, e.g. a change before `local apply`). With --use-kube=true, the ' +
    'cluster of --kubeconfig/--context: its Namespaces, Services, Pods and Istio resources, with the files. ' +
    'Exit codes (log output; json, yaml and sarif exit 0 unless the input could not be read): 0 no issue at or ' +
    'above --failure-threshold, 79 issues found, 1 files could not be read or parsed, 64 usage error.';
  static override examples = [
    '<%= config.bin %> analyze --use-kube=false samples/bookinfo/networking/',
    '<%= config.bin %> analyze -A -o json config/',
    '<%= config.bin %> analyze -o sarif config/ > analyze.sarif',
    '<%= config.bin %> analyze --suppress "IST0118=Service *.default" app.yaml',
    '<%= config.bin %> analyze --local-state .mesh',
  ];
  // Any number of FILE|DIR|- arguments (argv): `file` is declared for the usage line.
  static override strict = false;
  static override args = {
    file: Args.string({ description: 'files or directories to analyze, - for standard input' }),
  };

  static override flags = {
    'use-kube': Flags.string({
      char: 'k',
      default: 'false',
      description:
        'true: analyze the cluster (--kubeconfig/--context) with the files; false: the files alone',
    }),
    ...clusterFlags,
    namespace: Flags.string({ char: 'n', description: 'namespace to analyze, and of resources without one' }),
    'all-namespaces': Flags.boolean({ char: 'A', description: 'analyze all namespaces' }),
    suppress: Flags.string({
      char: 'S',
      multiple: true,
      description: 'suppress a code on resources matching a pattern: "IST0102=Namespace foo" ("*" globs)',
    }),
    'failure-threshold': Flags.string({ default: 'Error', description: 'level at which to exit 79' }),
    'output-threshold': Flags.string({ default: 'Info', description: 'lowest level shown' }),
    output: Flags.string({
      char: 'o',
      default: 'log',
      description: 'output format: log, json, yaml or sarif',
    }),
    'local-state': Flags.string({
      description: 'state directory of a running local mesh: analyze its config and workloads',
    }),
    'list-analyzers': Flags.boolean({ char: 'L', description: 'list the analyzers and exit' }),
    'ignore-unknown': Flags.boolean({ description: 'do not fail on documents that cannot be parsed' }),
    meshConfigFile: Flags.string({
      description: 'MeshConfig YAML to analyze with (rootNamespace, ingressService, ingressControllerMode)',
    }),
  };

  async run(): Promise<AnalysisReport | undefined> {
    const { flags, argv } = await this.parse(Analyze);
    if (flags['list-analyzers']) {
      this.log(renderAnalyzerList([...ANALYZERS, SCHEMA_ANALYZER]));
      return undefined;
    }
    const format = flags.output.toLowerCase() as AnalysisFormat;
    if (!FORMATS.includes(format)) this.usage(`${flags.output} not a valid option for format`);
    const failureThreshold = this.level(flags['failure-threshold'], '--failure-threshold');
    const outputThreshold = this.level(flags['output-threshold'], '--output-threshold');
    if (flags['use-kube'] !== 'false' && flags['use-kube'] !== 'true')
      this.usage(`--use-kube: expected true or false, not ${flags['use-kube']}`);
    const useKube = flags['use-kube'] === 'true';
    const suppressions = (flags.suppress ?? []).map((s) => this.suppression(s));
    const paths = argv as string[];
    const localState = flags['local-state'];
    if (paths.length === 0 && localState === undefined && !useKube)
      this.usage(
        'at least one file, directory or - (or --local-state DIR, or --use-kube=true) must be given',
      );

    const files: string[] = [];
    const read: AnalysisFile[] = [];
    let meshConfig: ResolvedMeshConfig | undefined;
    try {
      if (flags.meshConfigFile !== undefined)
        meshConfig = this.meshConfig(await readMeshConfigForAnalysis(flags.meshConfigFile));
      if (useKube) {
        const cluster = await readClusterForAnalysis({
          kubeconfig: flags.kubeconfig,
          context: flags.context,
        });
        read.push(cluster.file);
        files.push(CLUSTER_SOURCE);
        // As istioctl: the cluster's MeshConfig, unless --meshConfigFile names another.
        if (meshConfig === undefined && cluster.meshConfig !== undefined)
          meshConfig = this.meshConfig(cluster.meshConfig);
      }
      if (localState !== undefined) {
        const local = await readLocalStateForAnalysis(localState);
        files.push(...local.files);
        read.push(...local.read);
      }
      for (const file of collectConfigFiles(paths)) {
        files.push(file);
        read.push(await readFileForAnalysis(file));
      }
    } catch (err) {
      if (err instanceof LocalStateError || err instanceof ClusterReadError)
        this.error(err.message, { exit: 1 });
      const error = err as NodeJS.ErrnoException;
      this.error(`cannot read ${error.path ?? ''}: ${error.code ?? error.message}`, { exit: 1 });
    }
    const namespace = flags['all-namespaces'] ? undefined : (flags.namespace ?? 'default');
    const input = buildAnalysisInput(read, {
      defaultNamespace: flags.namespace ?? 'default',
      // istioctl adds the ingress gateway unless the mesh has no ingress controller.
      // The cluster has its own (or none): the defaults stand in for it in files-only analysis.
      addInstallDefaults: !useKube && meshConfig?.ingressControllerMode !== 'OFF',
      istioNamespace: 'istio-system',
      ingressService: meshConfig?.ingressService,
    });
    const messages = analyzeConfig(input, {
      namespace,
      suppressions,
      meshConfig,
    });
    const report: AnalysisReport = {
      target: namespace === undefined ? 'all namespaces' : `namespace: ${namespace}`,
      files,
      messages,
      shown: messages.filter((m) => isAtLeast(m.level, outputThreshold)),
      fileErrors: input.fileErrors,
      failureThreshold,
    };
    const exitCode = exitCodeOf(report, format, flags['ignore-unknown']);
    const output = renderAnalysis(report, format);
    if (output !== '') this.log(output);
    const status = renderAnalysisStatus(report, exitCode);
    if (status !== '') this.logToStderr(status);
    if (exitCode !== 0) this.exit(exitCode);
    return report;
  }

  /** The mesh config (file or cluster), or exit 1 with its findings (istioctl ignores a bad one silently). */
  private meshConfig(validation: MeshConfigValidation): ResolvedMeshConfig {
    if (validation.meshConfig !== undefined && validation.errors.length === 0) return validation.meshConfig;
    this.logToStderr(validation.errors.map(formatFinding).join('\n'));
    this.exit(1);
  }

  private usage(message: string): never {
    this.error(message, { exit: EXIT_USAGE });
  }

  /** A level as istioctl takes it: Info, Warning or Error, in any case. */
  private level(value: string, flag: string): AnalysisLevel {
    const level = ANALYSIS_LEVELS.find((l) => l.toLowerCase() === value.toLowerCase());
    return level ?? this.usage(`${flag}: invalid level option ${value} (${ANALYSIS_LEVELS.join(', ')})`);
  }

  private suppression(value: string): Suppression {
    const parts = value.split('=');
    if (parts.length !== 2) this.usage(`${value} is not a valid suppression value (CODE=RESOURCE)`);
    const [code, resource] = parts as [string, string];
    if (!ISTIO_ANALYSIS_CODES.has(code))
      this.warn(`Supplied message code '${code}' is an unknown message code and will not have any effect.`);
    return { code, resource };
  }
}
