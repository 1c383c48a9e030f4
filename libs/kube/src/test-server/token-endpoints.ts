import { randomUUID } from 'node:crypto';

import { badRequest, conflict, invalid, notFound } from './api-errors.js';
import type { Authenticator } from './authentication.js';
import { STORAGE } from './builtin-resources.js';
import { isPlainObject, kubeTimestamp, nameOf, type KubeObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import type { IssuedToken, ServiceAccountTokenIssuer } from './service-account-tokens.js';

/**
 * The two token APIs of kube-apiserver the mesh uses: TokenReview (`POST
 * /apis/authentication.k8s.io/v1/tokenreviews`, how istiod's CA checks a workload's token) and
 * TokenRequest (`POST .../serviceaccounts/<name>/token`, how the kubelet gets the audience-bound
 * token it projects into a pod). Neither stores anything.
 */
const DEFAULT_TOKEN_SECONDS = 3600;
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export async function reviewToken(authenticator: Authenticator, body: KubeObject): Promise<KubeObject> {
  const spec = isPlainObject(body['spec']) ? body['spec'] : {};
  const token = typeof spec['token'] === 'string' ? spec['token'] : '';
  if (!token) throw badRequest('token is required for TokenReview in authentication');
  const result = await authenticator.authenticate(token, stringList(spec['audiences']));
  const status = result.authenticated
    ? { authenticated: true, user: result.user, audiences: result.audiences }
    : { user: {}, error: result.error };
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    metadata: { creationTimestamp: null } as unknown as KubeObject['metadata'],
    spec,
    status,
  };
}

export interface ServiceAccountTokenOptions {
  readonly audiences?: readonly string[];
  readonly expirationSeconds?: number;
  /** Binds the token to a Pod: it stops authenticating when that Pod is gone. */
  readonly podName?: string;
}

/** Makes sure a ServiceAccount exists (a test convenience; the namespace must exist). */
export function ensureServiceAccount(store: ObjectStore, namespace: string, name: string): KubeObject {
  const existing = store.get(STORAGE.serviceAccounts, namespace, name);
  if (existing) return existing;
  if (!store.get(STORAGE.namespaces, undefined, namespace))
    throw notFound({ group: '', resource: 'namespaces' }, namespace);
  return store.create(STORAGE.serviceAccounts, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, uid: randomUUID(), creationTimestamp: kubeTimestamp() },
  });
}

/** Issues a token for an existing ServiceAccount, bound to a Pod when asked. */
export async function issueToken(
  store: ObjectStore,
  issuer: ServiceAccountTokenIssuer,
  account: KubeObject,
  audiences: readonly string[],
  expirationSeconds: number,
  podName?: string,
  podUid?: string,
): Promise<IssuedToken> {
  const namespace = account.metadata.namespace ?? '';
  let pod: { name: string; uid: string } | undefined;
  if (podName) {
    const found = store.get(STORAGE.pods, namespace, podName);
    if (!found) throw notFound({ group: '', resource: 'pods' }, podName);
    if (podUid && podUid !== found.metadata.uid) {
      throw conflict(
        { group: '', resource: 'pods' },
        podName,
        `the UID in the bound object reference (${podUid}) does not match the UID in record`,
      );
    }
    pod = { name: podName, uid: found.metadata.uid ?? '' };
  }
  return issuer.issue({
    namespace,
    name: nameOf(account),
    uid: account.metadata.uid ?? '',
    audiences,
    expirationSeconds,
    ...(pod ? { pod } : {}),
  });
}

/** `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token` with a TokenRequest body. */
export async function requestToken(
  store: ObjectStore,
  issuer: ServiceAccountTokenIssuer,
  apiAudiences: readonly string[],
  namespace: string,
  name: string,
  body: KubeObject,
): Promise<KubeObject> {
  const account = store.get(STORAGE.serviceAccounts, namespace, name);
  if (!account) throw notFound({ group: '', resource: 'serviceaccounts' }, name);
  const spec = isPlainObject(body['spec']) ? body['spec'] : {};
  const audiences = stringList(spec['audiences']);
  const expirationSeconds =
    typeof spec['expirationSeconds'] === 'number' ? spec['expirationSeconds'] : DEFAULT_TOKEN_SECONDS;
  if (expirationSeconds < MIN_TOKEN_SECONDS || expirationSeconds > MAX_TOKEN_SECONDS) {
    const detail =
      expirationSeconds < MIN_TOKEN_SECONDS
        ? 'may not specify a duration less than 10 minutes'
        : 'may not specify a duration larger than 2^32 seconds';
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      { type: 'Invalid', field: 'spec.expirationSeconds', badValue: expirationSeconds, detail },
    ]);
  }
  const bound = isPlainObject(spec['boundObjectRef']) ? spec['boundObjectRef'] : undefined;
  if (bound && bound['kind'] !== 'Pod') {
    throw badRequest(
      `boundObjectRef.kind: only Pod is supported by the test API server, not ${String(bound['kind'])}`,
    );
  }
  const podName = typeof bound?.['name'] === 'string' ? bound['name'] : undefined;
  const podUid = typeof bound?.['uid'] === 'string' ? bound['uid'] : undefined;
  const effectiveAudiences = audiences.length > 0 ? audiences : [...apiAudiences];
  const issued = await issueToken(
    store,
    issuer,
    account,
    effectiveAudiences,
    expirationSeconds,
    podName,
    podUid,
  );
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name, namespace, creationTimestamp: null } as unknown as KubeObject['metadata'],
    spec: { ...spec, audiences: effectiveAudiences, expirationSeconds },
    status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp },
  };
}
