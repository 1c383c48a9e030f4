/**
 * Stable error codes of the workload certificate agent; callers branch on `code`, and `cause` keeps
 * the underlying gRPC or PKI error.
 */
export const AGENT_ERROR_CODES = {
  /** The CA answered with a chain that does not verify (broken links, expired, untrusted root). */
  AGENT_UNTRUSTED_CHAIN: 'the CA returned a chain that does not verify',
  /** The CA answered with a certificate for another identity or another key. */
  AGENT_WRONG_CERTIFICATE: 'the CA returned a certificate that is not ours',
  /** The bearer token could not be obtained (e.g. the projected token file is missing). */
  AGENT_TOKEN_UNAVAILABLE: 'no bearer token for the CA',
  /** The CA call failed (unreachable, refused, timed out). */
  AGENT_CA_REQUEST_FAILED: 'the certificate request failed',
  /** The private key could not be written to its file. */
  AGENT_KEY_FILE: 'the private key file could not be written',
  /** `start()` gave up: no certificate after the allowed attempts. */
  AGENT_START_FAILED: 'no workload certificate could be obtained',
  /** `stop()` was called before the operation finished. */
  AGENT_STOPPED: 'the agent was stopped',
} as const;

export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES;

export class AgentError extends Error {
  override readonly name = 'AgentError';

  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
