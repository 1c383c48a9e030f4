/**
 * `@mesh/kube/test-server`: a Kubernetes API server TEST DOUBLE (in memory, one process, never for
 * production). Production code must not import this entry point.
 */
export {
  startTestApiServer,
  type TestApiServer,
  type TestApiServerOptions,
  type TestUser,
} from './api-server.js';
export type { WebhookServiceReference } from './admission-review-client.js';
export type { WebhookServiceResolver } from './admission-webhooks.js';
export type { UserInfo } from './authentication.js';
export type { AuthorizationAttributes, Authorizer, RecordedRequest } from './request-handler.js';
export {
  createTestCertificateAuthority,
  type ServingCertificate,
  type TestCertificateAuthority,
} from './tls-material.js';
export type { ServiceAccountTokenOptions } from './token-endpoints.js';
