import { UsageError } from '../options.js';

/**
 * The command line of Istio's injected `istio-proxy` container: `proxy sidecar|router` and the
 * pilot-agent flags its templates pass (`--domain`, `--proxyLogLevel`, `--proxyComponentLogLevel`,
 * `--log_output_level`), as Go's pflag reads them (`--flag value` or `--flag=value`). pilot-agent's
 * other flags are refused by name rather than ignored; anything else is left to mesh-proxy's own
 * flags (`parseProxyOptions`), which may follow.
 */

export interface IstioAgentFlags {
  proxyType: 'sidecar' | 'router';
  /** `--domain`: the DNS domain of the node id; undefined when not given. */
  domain?: string;
  /** The pino level the two log flags ask for together (the more verbose of them). */
  logLevel: string;
  /** The arguments that are not pilot-agent's, in order: mesh-proxy's own flags. */
  ownArgs: string[];
}

/** Envoy's (spdlog) levels, which `--proxyLogLevel` and `--proxyComponentLogLevel` take. */
const PROXY_LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
  off: 'silent',
};
/** Istio's own log levels (`--log_output_level`, istio.io/istio/pkg/log). */
const AGENT_LEVELS: Record<string, string> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  none: 'silent',
};
const PINO_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * pilot-agent's flags (pilot/cmd/pilot-agent/app/cmd.go and istio's log options) that mesh-proxy does
 * not implement: each would change what Istio's agent does, so accepting it silently would mislead.
 */
const NOT_IMPLEMENTED = [
  'meshConfig',
  'stsPort',
  'tokenManagerPlugin',
  'serviceCluster',
  'concurrency',
  'templateFile',
  'outlierLogPath',
  'profiling',
  'log_as_json',
  'log_caller',
  'log_stacktrace_level',
  'log_target',
  'log_rotate',
  'log_rotate_max_age',
  'log_rotate_max_backups',
  'log_rotate_max_size',
  'vklog',
];

/** `level[,scope:level...]` (Envoy) or `scope:level,...` (Istio); returns the unscoped level, if any. */
function parseLevels(
  flag: string,
  value: string,
  levels: Record<string, string>,
  defaultScope?: string,
): string | undefined {
  let level: string | undefined;
  for (const item of value.split(',').filter((i) => i !== '')) {
    const colon = item.lastIndexOf(':');
    const scope = colon < 0 ? undefined : item.slice(0, colon);
    const name = item.slice(colon + 1);
    if (!(name in levels))
      throw new UsageError(
        `--${flag}: "${name}" in "${value}" is not one of ${Object.keys(levels).join(', ')}`,
      );
    if (scope === undefined || scope === defaultScope) level = levels[name];
  }
  return level;
}

/** The more verbose of two pino levels. */
function moreVerbose(a: string, b: string): string {
  return PINO_ORDER.indexOf(a) <= PINO_ORDER.indexOf(b) ? a : b;
}

export function parseIstioAgentFlags(argv: readonly string[]): IstioAgentFlags {
  const [proxyType, ...rest] = argv;
  if (proxyType !== 'sidecar' && proxyType !== 'router')
    throw new UsageError(
      `proxy: expected the proxy type "sidecar" or "router" first (as in "proxy sidecar --domain ..."), got ${proxyType === undefined ? 'nothing' : `"${proxyType}"`}`,
    );
  let domain: string | undefined;
  // pilot-agent's defaults when its template passes no level.
  let proxyLevel = 'warn';
  let agentLevel = 'info';
  const ownArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const match = /^--?([A-Za-z_]+)(?:=(.*))?$/s.exec(arg);
    const name = match?.[1];
    const istioValue = (): string => {
      if (match?.[2] !== undefined) return match[2];
      const next = rest[++i];
      if (next === undefined) throw new UsageError(`--${name}: needs a value`);
      return next;
    };
    if (name === 'domain') {
      domain = istioValue();
      if (domain === '') throw new UsageError('--domain: must not be empty');
    } else if (name === 'proxyLogLevel') {
      proxyLevel = parseLevels(name, istioValue(), PROXY_LEVELS) ?? proxyLevel;
    } else if (name === 'proxyComponentLogLevel') {
      // Envoy's component levels: mesh-proxy has no Envoy components, so only the syntax is checked.
      parseLevels(name, istioValue(), PROXY_LEVELS);
    } else if (name === 'log_output_level') {
      agentLevel = parseLevels(name, istioValue(), AGENT_LEVELS, 'default') ?? agentLevel;
    } else if (name !== undefined && NOT_IMPLEMENTED.includes(name)) {
      throw new UsageError(`--${name}: a pilot-agent flag mesh-proxy does not implement`);
    } else {
      ownArgs.push(arg);
    }
  }
  return {
    proxyType,
    ...(domain === undefined ? {} : { domain }),
    logLevel: moreVerbose(proxyLevel, agentLevel),
    ownArgs,
  };
}
