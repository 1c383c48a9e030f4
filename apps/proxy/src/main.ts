#!/usr/bin/env node
/**
 * mesh-proxy: the mesh sidecar proxy. Parses the command line and environment, starts the sidecar,
 * and drains it on SIGTERM/SIGINT (stop accepting, let open connections finish, then exit). With
 * `--ready-fd` it reports once when it is ready, or why it cannot start.
 */
import { readFileSync } from 'node:fs';

import { ReadinessReporter, type ProxyPorts } from '@mesh/launcher/readiness';
import { pino } from 'pino';

import { istioIptablesCommand } from './capture/istio-iptables-command.js';
import { startAgentStatusServer, type AgentStatusConfig } from './kube-agent/agent-status-server.js';
import { parseKubeAgentOptions } from './kube-agent/kube-agent-options.js';
import { pilotAgentCommand } from './kube-agent/pilot-agent-command.js';
import { parseProxyOptions, USAGE, UsageError, type ProxyOptions } from './options.js';
import { SidecarProxy } from './sidecar-proxy.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(args: string[]): Promise<void> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === 'version')) {
    console.log(`mesh-proxy ${version()}`);
    return;
  }
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    console.log(USAGE);
    return;
  }
  if (args[0] === 'pilot-agent') {
    process.exitCode = await pilotAgentCommand(args.slice(1));
    return;
  }
  if (args[0] === 'istio-iptables') {
    process.exitCode = istioIptablesCommand(args.slice(1));
    return;
  }
  let options: ProxyOptions;
  let agentStatus: AgentStatusConfig | undefined;
  let proxyConfigUnapplied: string[] = [];
  try {
    // `proxy sidecar ...`: the injected istio-proxy container's command line (pilot-agent's).
    if (args[0] === 'proxy') {
      const kube = parseKubeAgentOptions(args.slice(1), process.env, process.cwd());
      ({ agentStatus, proxyConfigUnapplied, ...options } = kube);
    } else options = parseProxyOptions(args, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`mesh-proxy: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const logger = pino({ name: 'mesh-proxy', level: options.logLevel });
  if (proxyConfigUnapplied.length > 0)
    logger.warn({ fields: proxyConfigUnapplied }, 'PROXY_CONFIG fields mesh-proxy does not apply');
  const readiness = new ReadinessReporter<ProxyPorts>(options.readyFd);
  let proxy: SidecarProxy | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness.failed(`stopped (${signal}) before it was ready`);
    logger.info({ signal, drainSeconds: options.drainSeconds }, 'draining');
    void (proxy?.drain() ?? Promise.resolve()).finally(() => {
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    proxy = await SidecarProxy.start(options, logger, () => stop('quitquitquit'));
    // In a pod: pilot-agent's status port, where the rewritten app probes and the scrape annotations point.
    if (agentStatus) {
      const started = proxy;
      await startAgentStatusServer(
        agentStatus,
        {
          notReadyReason: () => started.notReadyReason(),
          metricsText: () => started.metrics.metricsText(),
          // The native sidecar's preStop: the same drain (and exit) as SIGTERM, before kubelet sends it.
          drain: () => stop('drain'),
        },
        logger,
      );
    }
  } catch (err) {
    readiness.failed((err as Error).message);
    logger.error({ error: (err as Error).message, code: (err as { code?: string }).code }, 'cannot start');
    process.exit(1);
  }
  logger.info(
    { capture: options.capture, bindAddress: options.bindAddress, ports: options.ports },
    'mesh-proxy is serving',
  );
  reportWhenReady(proxy, readiness);
}

/** Ready as `/healthz/ready` says: the workload certificate issued and istiod's first config applied. */
function reportWhenReady(proxy: SidecarProxy, readiness: ReadinessReporter<ProxyPorts>): void {
  const { outbound, inbound, status, stats } = proxy.options.ports;
  const check = () => {
    if (readiness.pending && proxy.notReadyReason() !== undefined) return;
    proxy.state.off('snapshot', check);
    readiness.ready({
      adminPort: proxy.adminPort,
      outboundPort: outbound,
      inboundPort: inbound,
      statusPort: status,
      statsPort: stats,
    });
  };
  proxy.state.on('snapshot', check);
  check();
}

await main(process.argv.slice(2));
