export { systemClock, type AgentClock } from './agent-clock.js';
export { AGENT_ERROR_CODES, AgentError, type AgentErrorCode } from './agent-error.js';
export { verifyIssuedChain, type IssuedChain, type IssuedChainCheck } from './issued-chain.js';
export { writePrivateKeyFile } from './private-key-file.js';
export { DEFAULT_BACKOFF, RetryBackoff, type BackoffOptions } from './retry-backoff.js';
export {
  WorkloadCertificateAgent,
  type RenewalFailure,
  type WorkloadCertificate,
  type WorkloadCertificateAgentEvents,
  type WorkloadCertificateAgentOptions,
} from './workload-certificate-agent.js';
export { CaRequests, type CaRequestsOptions, type ClientCertificate } from './ca-requests.js';
