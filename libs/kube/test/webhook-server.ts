import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { createTestCertificateAuthority } from '../src/test-server/index.js';

/**
 * A real HTTPS admission webhook for tests: it records every AdmissionReview it receives and
 * answers with what `decide` returns (wrapped in an AdmissionReview with the request's uid).
 */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; groups?: string[] };
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  dryRun: boolean;
}

export interface AdmissionDecision {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string };
  /** JSON patch operations; sent base64-encoded with patchType JSONPatch. */
  patch?: unknown[];
}

export interface TestWebhook {
  readonly url: string;
  readonly port: number;
  /** base64 PEM, as `clientConfig.caBundle` wants it. */
  readonly caBundle: string;
  readonly received: AdmissionRequest[];
  close(): Promise<void>;
}

export async function startWebhook(
  decide: (request: AdmissionRequest) => AdmissionDecision | undefined,
  hosts: readonly string[] = ['127.0.0.1'],
): Promise<TestWebhook> {
  const ca = createTestCertificateAuthority('test webhook CA');
  const serving = ca.issueServingCertificate(hosts);
  const received: AdmissionRequest[] = [];
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: AdmissionRequest };
      received.push(review.request);
      const decision = decide(review.request);
      if (!decision) return; // never answers: lets tests exercise timeouts
      const response: Record<string, unknown> = { uid: review.request.uid, allowed: decision.allowed };
      if (decision.status) response['status'] = decision.status;
      if (decision.patch) {
        response['patchType'] = 'JSONPatch';
        response['patch'] = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(ca.caPem).toString('base64'),
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
