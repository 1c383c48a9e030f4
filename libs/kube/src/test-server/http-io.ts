import type { IncomingMessage, ServerResponse } from 'node:http';

import { parse as parseYaml } from 'yaml';

import { apiError, ApiError, badRequest, internalError, unsupportedMediaType } from './api-errors.js';

/**
 * Request bodies in and JSON out. Bodies are JSON or YAML (kube-apiserver accepts both for create
 * and update; apply patches are YAML); the patch media types say which patch format a PATCH is.
 * Every failure leaves as a `Status` object with its HTTP code.
 */
export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = keyof typeof PATCH_TYPES;

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export function mediaType(request: IncomingMessage): string {
  const [type = ''] = (request.headers['content-type'] ?? '').split(';');
  return type.trim().toLowerCase();
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw apiError('BadRequest', 'the request body is too large', undefined, 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function decode(text: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
}

/** The body of a create or update: JSON, or YAML with a YAML media type. */
export async function readObjectBody(request: IncomingMessage): Promise<unknown> {
  const type = mediaType(request);
  const text = await readBody(request);
  if (type === '' || type === 'application/json') return decode(text, false);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml')
    return decode(text, true);
  throw unsupportedMediaType(type, ['application/json', 'application/yaml']);
}

/** The body of a PATCH and which kind of patch it is, from its media type. */
export async function readPatchBody(
  request: IncomingMessage,
): Promise<{ patchType: PatchType; patch: unknown }> {
  const type = mediaType(request);
  const patchType = (Object.keys(PATCH_TYPES) as PatchType[]).find((key) => PATCH_TYPES[key] === type);
  if (!patchType) throw unsupportedMediaType(type, Object.values(PATCH_TYPES));
  const text = await readBody(request);
  return { patchType, patch: decode(text, patchType === 'apply') };
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache, private',
  });
  response.end(text);
}

/** Sends `error` as a Status (unexpected errors become 500 InternalError). */
export function sendError(response: ServerResponse, error: unknown): void {
  const apiFailure =
    error instanceof ApiError ? error : internalError((error as Error)?.message ?? String(error), error);
  if (response.headersSent) {
    response.destroy(apiFailure);
    return;
  }
  sendJson(response, apiFailure.code, apiFailure.status);
}
