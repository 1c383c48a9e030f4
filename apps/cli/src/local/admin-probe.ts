import { execFile } from 'node:child_process';

/**
 * node:http as CommonJS has it: imported as an ES module, Node builds its facade by reading every
 * export, and the lazy `WebSocket` getters among them load undici (~60 ms of CPU on each `local status`).
 */
const { get: httpGet } = process.getBuiltinModule('node:http');

/**
 * GETs of a local sidecar's admin and readiness endpoints, from this process or, in transparent mode,
 * from inside the pod's network namespace (the admin listens on the pod's own loopback there). Used by
 * `local status` and by the diagnose commands (`tls-check`'s live proof, `proxy-config`).
 */

export type Answer = { status: number; body: string } | undefined;

export const PROBE_MS = 4000;

/**
 * One GET with node:http, not fetch: fetch loads undici, ~60 ms of CPU more on every `local status`.
 * `GET` is the same request as text, for the process `probe` starts in a pod's network namespace.
 */
const GET = `(url, ms) => new Promise((resolve) => {
  const request = require('node:http').get(url, { agent: false, signal: AbortSignal.timeout(ms) }, (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    response.on('error', () => resolve(null));
  });
  request.on('error', () => resolve(null));
})`;

function get(url: string): Promise<Answer | null> {
  return new Promise((resolve) => {
    const request = httpGet(url, { agent: false, signal: AbortSignal.timeout(PROBE_MS) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', () => resolve(null));
    });
    request.on('error', () => resolve(null));
  });
}

/**
 * GETs every URL at once; undefined where nothing answered within `PROBE_MS`. In a pod's network
 * namespace one process asks them all (starting one per URL is what takes time), and exits once it has
 * printed the answers; it gets longer than the requests, since starting Node on a busy machine can
 * take seconds by itself.
 */
export async function probe(urls: string[], netns?: string): Promise<Answer[]> {
  if (!netns) return (await Promise.all(urls.map(get))).map((answer) => answer ?? undefined);
  const script = `Promise.all(${JSON.stringify(urls)}.map((u) => (${GET})(u, ${PROBE_MS}))).then((a) => process.stdout.write(JSON.stringify(a), () => process.exit(0)))`;
  return new Promise((resolve) =>
    execFile(
      'ip',
      ['netns', 'exec', netns, process.execPath, '-e', script],
      { timeout: 3 * PROBE_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        try {
          if (err) throw err;
          resolve((JSON.parse(stdout) as (Answer | null)[]).map((answer) => answer ?? undefined));
        } catch {
          resolve(urls.map(() => undefined));
        }
      },
    ),
  );
}
