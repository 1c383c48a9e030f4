import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import type { AdmissionHandlers } from './admission-handlers.js';
import { AdmissionReviewError, parseAdmissionReview, reviewResponse } from './admission-review.js';

/**
 * istiod's webhook port (15017, Service port 443): HTTPS with istiod's serving certificate (the
 * names its webhook configurations use, 127.0.0.1 for an istiod outside the cluster), POST `/inject`
 * and `/validate` (and Istio's `/inject/<params>` form). Bounded: a body over MAX_BODY_BYTES is
 * refused with 413 without being read further, slow clients are cut off by the timeouts below, and
 * nothing a caller sends is processed before it has been read whole.
 */

/**
 * An AdmissionReview carries the object and, on UPDATE, the old one: etcd's 1.5 MiB object limit
 * twice, plus the envelope, fits in 4 MiB.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The API server waits at most 30 s (webhook `timeoutSeconds` maximum); so does istiod. */
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;

export interface ServingMaterial {
  certificateChainPem: string;
  privateKeyPem: string;
}

export interface WebhookServer {
  port: number;
  /** Serve a renewed certificate to new connections. */
  updateCertificate(material: ServingMaterial): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

async function serve(req: IncomingMessage, res: ServerResponse, handlers: AdmissionHandlers, logger: Logger) {
  const path = new URL(req.url ?? '/', 'https://localhost').pathname;
  const route =
    path === '/inject' || path.startsWith('/inject/')
      ? 'inject'
      : path === '/validate' || path.startsWith('/validate/')
        ? 'validate'
        : undefined;
  if (route === undefined) return reply(res, 404, 'not found\n');
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return reply(res, 405, 'method not allowed\n');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type !== 'application/json') return reply(res, 415, 'expected content-type application/json\n');
  const body = await readBody(req);
  if (body === 'too-large') {
    res.setHeader('connection', 'close');
    return reply(res, 413, `AdmissionReview larger than ${MAX_BODY_BYTES} bytes\n`);
  }
  let request;
  try {
    request = parseAdmissionReview(body);
  } catch (err) {
    if (err instanceof AdmissionReviewError) return reply(res, 400, `${err.message}\n`);
    throw err;
  }
  const response = route === 'inject' ? await handlers.inject(request) : handlers.validate(request);
  if (!response.allowed)
    logger.info(
      {
        webhook: route,
        kind: request.kind.kind,
        name: `${request.namespace}/${request.name}`,
        reason: response.status?.message,
      },
      'admission denied',
    );
  reply(res, 200, reviewResponse(response), 'application/json');
}

export async function startWebhookServer(options: {
  host: string;
  port: number;
  material: ServingMaterial;
  handlers: AdmissionHandlers;
  logger: Logger;
}): Promise<WebhookServer> {
  const { logger } = options;
  const server: Server = createServer(
    {
      cert: options.material.certificateChainPem,
      key: options.material.privateKeyPem,
      minVersion: 'TLSv1.2',
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
    },
    (req, res) => {
      serve(req, res, options.handlers, logger).catch((err: Error) => {
        logger.error({ err: err.stack }, 'webhook request failed');
        if (!res.headersSent) reply(res, 500, 'internal error\n');
        else res.destroy();
      });
    },
  );
  server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'webhook TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    updateCertificate: (material) =>
      server.setSecureContext({ cert: material.certificateChainPem, key: material.privateKeyPem }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
