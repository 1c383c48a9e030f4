import { request } from 'node:https';

import { isPlainObject } from './kube-object.js';

/**
 * The HTTPS call kube-apiserver makes to an admission webhook: `POST` of an `AdmissionReview`, the
 * server certificate verified against the webhook's `caBundle` (system roots when it has none) and,
 * for a `service` reference, against the Service's DNS name `<name>.<namespace>.svc`, whatever
 * address the test resolved it to. Any failure (connect, TLS, timeout, non-200, bad JSON) is a
 * `WebhookCallError`, which the caller turns into a denial or ignores per `failurePolicy`.
 */
export interface WebhookEndpoint {
  readonly url: URL;
  /** TLS server name to verify (service references); the URL's host otherwise. */
  readonly servername?: string;
  /** PEM bundle from `clientConfig.caBundle`. */
  readonly ca?: string;
}

/** A reference to a webhook Service, as in `clientConfig.service`. */
export interface WebhookServiceReference {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  readonly path?: string;
}

export class WebhookCallError extends Error {
  override readonly name = 'WebhookCallError';
  readonly code = 'WEBHOOK_CALL_FAILED';
}

function describeFailure(url: URL, error: Error): string {
  return `failed to call webhook: Post "${url.href}": ${error.message}`;
}

/** Posts `review` and resolves with the parsed response body. */
export function postAdmissionReview(
  endpoint: WebhookEndpoint,
  review: unknown,
  timeoutMs: number,
): Promise<unknown> {
  const body = JSON.stringify(review);
  return new Promise((resolve, reject) => {
    const call = request(
      endpoint.url,
      {
        method: 'POST',
        agent: false,
        ...(endpoint.ca ? { ca: endpoint.ca } : {}),
        ...(endpoint.servername ? { servername: endpoint.servername } : {}),
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(new WebhookCallError(describeFailure(endpoint.url, error))));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(
              new WebhookCallError(
                `received invalid webhook response: HTTP ${response.statusCode}: ${text.slice(0, 200)}`,
              ),
            );
            return;
          }
          try {
            const parsed: unknown = JSON.parse(text);
            if (!isPlainObject(parsed)) throw new Error('not a JSON object');
            resolve(parsed);
          } catch (error) {
            reject(new WebhookCallError(`received invalid webhook response: ${(error as Error).message}`));
          }
        });
      },
    );
    call.on('timeout', () => call.destroy(new Error('context deadline exceeded')));
    call.on('error', (error) => reject(new WebhookCallError(describeFailure(endpoint.url, error))));
    call.end(body);
  });
}

/** Where a webhook's `clientConfig` points: its `url`, or a Service the test maps to an address. */
export function webhookEndpoint(
  clientConfig: Record<string, unknown>,
  resolveService: ((service: WebhookServiceReference) => string | URL | undefined) | undefined,
): WebhookEndpoint {
  const caBundle = typeof clientConfig['caBundle'] === 'string' ? clientConfig['caBundle'] : '';
  const ca = caBundle ? Buffer.from(caBundle, 'base64').toString('utf8') : undefined;
  if (typeof clientConfig['url'] === 'string') {
    return { url: new URL(clientConfig['url']), ...(ca ? { ca } : {}) };
  }
  const service = clientConfig['service'];
  if (
    !isPlainObject(service) ||
    typeof service['name'] !== 'string' ||
    typeof service['namespace'] !== 'string'
  ) {
    throw new WebhookCallError('webhook clientConfig has neither url nor service');
  }
  const reference: WebhookServiceReference = {
    namespace: service['namespace'],
    name: service['name'],
    port: typeof service['port'] === 'number' ? service['port'] : 443,
    ...(typeof service['path'] === 'string' ? { path: service['path'] } : {}),
  };
  const host = `${reference.name}.${reference.namespace}.svc`;
  const base = resolveService?.(reference);
  if (base === undefined) {
    throw new WebhookCallError(
      `failed to call webhook: Post "https://${host}:${reference.port}${reference.path ?? '/'}": dial tcp: lookup ${host}: no such host`,
    );
  }
  const url = new URL(reference.path ?? '/', base);
  return { url, servername: host, ...(ca ? { ca } : {}) };
}
