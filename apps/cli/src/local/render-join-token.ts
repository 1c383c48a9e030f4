/** What `meshctl local token create` produced. */
export interface JoinTokenResult {
  token: string;
  /** The token's id, which `meshctl local token revoke` takes. */
  id: string;
  /** SPIFFE ID the token lets its holder request a certificate for. */
  identity: string;
  expiresAt: string;
  keyFile: string;
  /** The state directory had no join-token key yet and one was created. */
  keyCreated: boolean;
}

/** Text output is the bare token, so `TOKEN=$(meshctl local token create ...)` works. */
export function renderJoinToken(result: JoinTokenResult, format: 'text' | 'json'): string {
  return format === 'json' ? JSON.stringify(result, null, 2) : result.token;
}
