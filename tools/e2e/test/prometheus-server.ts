import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real Prometheus server for tests: scrapes the given targets and answers PromQL through its HTTP
 * API, so tests prove that what we expose is what Prometheus ingests. CI installs the `prometheus`
 * binary; when it is missing, starting fails with a message saying so (tests must not skip).
 */
export interface PrometheusOptions {
  /** `host:port` of each target. */
  targets: string[];
  scrapeIntervalMs: number;
  /** Path scraped on every target; default `/stats/prometheus`, where Istio proxies serve metrics. */
  metricsPath?: string;
  /** Job label of the targets; default `mesh-proxy`. */
  job?: string;
  /** How long to wait for Prometheus to become ready; default 20 s. */
  startTimeoutMs?: number;
  /** The binary; default `prometheus` from PATH. */
  binary?: string;
}

/** One series of an instant-vector query result. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Runs an instant query; throws on a PromQL error or a non-vector result. */
  query(promql: string): Promise<PromSample[]>;
  /**
   * Repeats `query` until it returns at least one series; throws after `timeoutMs` (default 20 s).
   * The first samples take about 5 s: Prometheus hands new targets to its scrapers at most every 5 s.
   */
  queryUntilPresent(promql: string, timeoutMs?: number): Promise<PromSample[]>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and deletes its data directory. */
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-prometheus-'));
  const interval = `${options.scrapeIntervalMs}ms`;
  // JSON is YAML, so no YAML library is needed for this small config.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: options.job ?? 'mesh-proxy',
        metrics_path: options.metricsPath ?? '/stats/prometheus',
        static_configs: [{ targets: options.targets }],
      },
    ],
  };
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const binary = options.binary ?? 'prometheus';
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? new Error(
              `the "${binary}" binary was not found on PATH; install Prometheus (Debian: apt-get install prometheus)`,
            )
          : error,
      ),
    );
    child.once('exit', (code, signal) =>
      resolve(new Error(`prometheus exited (${code ?? signal}) before it was ready:\n${stderr}`)),
    );
  });

  const server: PrometheusServer = {
    url,
    query: (promql) => instantQuery(url, promql),
    queryUntilPresent: (promql, timeoutMs = 20_000) => pollUntilPresent(url, promql, timeoutMs),
    stop: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
  const stopWaiting = new AbortController();
  const failed = exited.then((error) => {
    stopWaiting.abort();
    throw error;
  });
  try {
    await Promise.race([waitUntilReady(url, options.startTimeoutMs ?? 20_000, stopWaiting.signal), failed]);
  } catch (error) {
    stopWaiting.abort();
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilReady(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  if (signal.aborted) return;
  throw new Error(`prometheus at ${url} was not ready within ${timeoutMs} ms`);
}

async function instantQuery(url: string, promql: string): Promise<PromSample[]> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success' || !body.data) {
    throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
  }
  if (body.data.resultType !== 'vector') {
    throw new Error(`query ${promql} returned a ${body.data.resultType}, not a vector`);
  }
  return body.data.result.map((series) => ({
    metric: series.metric,
    value: Number(series.value[1]),
  }));
}

async function pollUntilPresent(url: string, promql: string, timeoutMs: number): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await instantQuery(url, promql);
    if (samples.length > 0) return samples;
    if (Date.now() >= deadline) {
      throw new Error(`no series for ${promql} within ${timeoutMs} ms`);
    }
    await sleep(200);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exit;
  clearTimeout(timer);
}

/** A port nothing listens on right now; Prometheus cannot report a port it picked itself. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
