import { parseArgs } from 'node:util';

/**
 * `mesh-proxy pilot-agent request|wait ...` (the image's `pilot-agent`): exactly the two pilot-agent
 * subcommands Istio's injected `istio-proxy` container runs in its lifecycle hooks — the native sidecar's
 * preStop `pilot-agent request --debug-port=15020 POST drain`, and with holdApplicationUntilProxyStarts the
 * postStart `pilot-agent wait`, which holds the app's start until the proxy is ready. Flags, defaults and
 * exit codes are pilot-agent's.
 */

export const PILOT_AGENT_USAGE = `usage: pilot-agent request [--debug-port N] METHOD PATH [BODY]
       pilot-agent wait [--url U] [--timeoutSeconds 360] [--periodMillis 500] [--requestTimeoutMillis 500]`;

/** pilot-agent's `request` answers within this, as its HTTP client's timeout. */
const REQUEST_TIMEOUT_MS = 60_000;

class CommandError extends Error {}

/** fetch says only "fetch failed"; its cause says why (ECONNREFUSED, a timeout). */
function reason(err: unknown): string {
  const cause = (err as Error).cause as Error | undefined;
  return cause?.message ?? (err as Error).message;
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new CommandError(`--${name}: "${text}" is not a whole number`);
  return value;
}

/** `request`: METHOD PATH to 127.0.0.1:debug-port (Envoy's admin 15000 by default), the answer printed. */
async function request(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'debug-port': { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length < 2 || positionals.length > 3)
    throw new CommandError('request needs METHOD PATH [BODY]');
  const [method, path, body] = positionals as [string, string, string | undefined];
  const port = positiveInteger('debug-port', values['debug-port'], 15000);
  if (port < 1 || port > 65535) throw new CommandError(`--debug-port: ${port} is not a port number`);
  const url = `http://127.0.0.1:${port}/${path.replace(/^\/+/, '')}`;
  const res = await fetch(url, {
    method: method.toUpperCase(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`pilot-agent: ${method} ${url} answered ${res.status}: ${text}\n`);
    return 1;
  }
  process.stdout.write(text);
  return 0;
}

/** `wait`: polls the readiness URL every periodMillis until it answers 200, or fails after timeoutSeconds. */
async function wait(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', default: 'http://localhost:15021/healthz/ready' },
      timeoutSeconds: { type: 'string' },
      periodMillis: { type: 'string' },
      requestTimeoutMillis: { type: 'string' },
    },
  });
  const url = values.url;
  if (!URL.canParse(url)) throw new CommandError(`--url: "${url}" is not a URL`);
  const timeoutMs = positiveInteger('timeoutSeconds', values.timeoutSeconds, 360) * 1000;
  const periodMs = positiveInteger('periodMillis', values.periodMillis, 500);
  const requestTimeoutMs = positiveInteger('requestTimeoutMillis', values.requestTimeoutMillis, 500);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
      await res.body?.cancel();
      if (res.status === 200) {
        console.log('Envoy is ready!');
        return 0;
      }
      last = `answered ${res.status}`;
    } catch (err) {
      last = reason(err);
    }
    if (Date.now() + periodMs > deadline) break;
    await new Promise((r) => setTimeout(r, periodMs));
  }
  process.stderr.write(`pilot-agent: ${url} not ready after ${timeoutMs / 1000}s (last: ${last})\n`);
  return 1;
}

/** The exit code: 0 done, 1 the request or the wait failed, 2 a usage error. */
export async function pilotAgentCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'request') return await request(rest);
    if (sub === 'wait') return await wait(rest);
    throw new CommandError(`unknown subcommand ${JSON.stringify(sub ?? '')}`);
  } catch (err) {
    const usage =
      err instanceof CommandError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`pilot-agent: ${reason(err)}\n${usage ? `${PILOT_AGENT_USAGE}\n` : ''}`);
    return usage ? 2 : 1;
  }
}
