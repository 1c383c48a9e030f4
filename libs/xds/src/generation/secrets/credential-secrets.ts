import { createPrivateKey, X509Certificate } from 'node:crypto';

import type { Secret as KubernetesSecret } from '@mesh/policy';
import type { MeshSnapshot } from '@mesh/registry';

import type { Secret } from '../../resources/secret.js';

/**
 * SDS for the credentials istiod owns: the Kubernetes Secrets a gateway's servers name with
 * `credentialName`, requested by Envoy as `kubernetes://<name>` (the gateway's namespace) or
 * `kubernetes://<namespace>/<name>`, plus `kubernetes://<name>-cacert` for a MUTUAL server's client CA.
 * Istio's `pilot/pkg/xds/sds.go` and `pilot/pkg/credentials/kube/secrets.go` behave the same way.
 *
 * The workload certificate (`default`) and trust bundle (`ROOTCA`) never come from here: each proxy's
 * own agent serves them, and istiod refuses those names.
 */

/** Who is asking: gateways (`router~...` nodes) may read Secrets of their own namespace; sidecars none. */
export interface SecretProxy {
  namespace: string;
  kind: 'router' | 'sidecar';
}

export interface SecretGeneration {
  /** Envoy `Secret`s in canonical form (bytes as base64 strings), in the order they were asked for. */
  resources: Secret[];
  /** Why a requested name was left out (or served with a doubt), one line each, for the log. */
  problems: string[];
}

/** Envoy's resource-name prefix for a Kubernetes Secret (`credentials.KubernetesSecretTypeURI`). */
export const KUBERNETES_SECRET_PREFIX = 'kubernetes://';
/** Suffix of the CA-only resource of a credential (`SdsCaSuffix`). */
export const CA_CERT_SUFFIX = '-cacert';
/** The names the proxy's agent serves (workload certificate and trust bundle), never istiod; so are `file-cert:`/`file-root:`. */
const AGENT_SECRET_NAMES = new Set(['default', 'ROOTCA']);

// Data keys, as Istio reads them: the generic layout first, then `kubernetes.io/tls`.
const GENERIC = { cert: 'cert', key: 'key', ca: 'cacert', crl: 'crl' } as const;
const TLS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt', crl: 'ca.crl' } as const;

export function generateSecrets(
  snapshot: MeshSnapshot,
  proxy: SecretProxy,
  names: ReadonlySet<string>,
): SecretGeneration {
  const resources: Secret[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const result = generateOne(snapshot, proxy, name);
    if (result.problem !== undefined) problems.push(`${name}: ${result.problem}`);
    if (result.secret) resources.push(result.secret);
  }
  return { resources, problems };
}

interface OneResult {
  secret?: Secret;
  problem?: string;
}

function generateOne(snapshot: MeshSnapshot, proxy: SecretProxy, resourceName: string): OneResult {
  if (AGENT_SECRET_NAMES.has(resourceName) || /^file-(cert|root):/.test(resourceName)) {
    return { problem: "served by the proxy's own agent, never by istiod" };
  }
  if (proxy.kind !== 'router') {
    return { problem: 'only gateways receive secrets from istiod; a sidecar gets none' };
  }
  const ref = parseResourceName(resourceName, proxy.namespace);
  if (typeof ref === 'string') return { problem: ref };
  if (ref.namespace !== proxy.namespace) {
    return {
      problem:
        `refused: a gateway in namespace "${proxy.namespace}" may only read Secrets of its own namespace, ` +
        `not "${ref.namespace}"`,
    };
  }
  return ref.name.endsWith(CA_CERT_SUFFIX)
    ? caSecret(snapshot, resourceName, ref)
    : tlsSecret(snapshot, resourceName, ref);
}

interface SecretRef {
  namespace: string;
  name: string;
}

/** `kubernetes://<name>` (in the proxy's namespace) or `kubernetes://<namespace>/<name>`; else why not. */
export function parseResourceName(resourceName: string, proxyNamespace: string): SecretRef | string {
  if (!resourceName.startsWith(KUBERNETES_SECRET_PREFIX)) {
    return `unsupported secret name: istiod serves ${KUBERNETES_SECRET_PREFIX}<name> and ${KUBERNETES_SECRET_PREFIX}<namespace>/<name>`;
  }
  const parts = resourceName.slice(KUBERNETES_SECRET_PREFIX.length).split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    return `malformed secret name: expected ${KUBERNETES_SECRET_PREFIX}<name> or ${KUBERNETES_SECRET_PREFIX}<namespace>/<name>`;
  }
  return parts.length === 2
    ? { namespace: parts[0] as string, name: parts[1] as string }
    : { namespace: proxyNamespace, name: parts[0] as string };
}

/** A server certificate and key: `cert`/`key`, else `tls.crt`/`tls.key`. */
function tlsSecret(snapshot: MeshSnapshot, resourceName: string, ref: SecretRef): OneResult {
  const secret = snapshot.secret(ref.namespace, ref.name);
  if (!secret) return { problem: `Secret ${ref.namespace}/${ref.name} not found` };
  const data = secretData(secret);
  let emptyPair: string | undefined;
  for (const keys of [GENERIC, TLS]) {
    const cert = data.get(keys.cert);
    const key = data.get(keys.key);
    if (cert === undefined || key === undefined) continue;
    const malformed = [cert, key].find((v) => v.error !== undefined);
    if (malformed) return { problem: `Secret ${ref.namespace}/${ref.name}: ${malformed.error}` };
    if (cert.size === 0 || key.size === 0) {
      emptyPair ??= `found keys "${keys.cert}" and "${keys.key}", but they were empty`;
      continue;
    }
    const where = `Secret ${ref.namespace}/${ref.name}`;
    const problem = credentialProblem(cert, key, where, keys);
    if (problem) return { problem };
    return {
      secret: {
        name: resourceName,
        tls_certificate: {
          certificate_chain: { inline_bytes: cert.base64 },
          private_key: { inline_bytes: key.base64 },
        },
      },
    };
  }
  return {
    problem:
      `Secret ${ref.namespace}/${ref.name}: ` +
      (emptyPair ??
        `no "${GENERIC.cert}" and "${GENERIC.key}" nor "${TLS.cert}" and "${TLS.key}" keys; found: ${keysOf(data)}`),
  };
}

/**
 * A client CA (`<name>-cacert`): from a Secret named exactly that, else from the credential's own
 * Secret (`<name>`); its `cacert`, else `ca.crt` (with `crl`/`ca.crl` when present).
 */
function caSecret(snapshot: MeshSnapshot, resourceName: string, ref: SecretRef): OneResult {
  const stripped = ref.name.slice(0, -CA_CERT_SUFFIX.length);
  const found =
    (snapshot.secret(ref.namespace, ref.name) && ref.name) ||
    (stripped !== '' && snapshot.secret(ref.namespace, stripped) && stripped);
  if (!found) {
    return {
      problem: stripped
        ? `neither Secret ${ref.namespace}/${ref.name} nor ${ref.namespace}/${stripped} found`
        : `Secret ${ref.namespace}/${ref.name} not found`,
    };
  }
  const data = secretData(snapshot.secret(ref.namespace, found) as KubernetesSecret);
  const where = `Secret ${ref.namespace}/${found}`;
  let empty: string | undefined;
  for (const keys of [GENERIC, TLS]) {
    const ca = data.get(keys.ca);
    if (ca === undefined) continue;
    if (ca.error !== undefined) return { problem: `${where}: ${ca.error}` };
    if (ca.size === 0) {
      empty ??= `found key "${keys.ca}", but it was empty`;
      continue;
    }
    const crl = data.get(keys.crl);
    if (crl?.error !== undefined) return { problem: `${where}: ${crl.error}` };
    const unparsed = certificatesProblem(ca, `${where} "${keys.ca}"`);
    if (unparsed) return { problem: unparsed };
    return {
      secret: {
        name: resourceName,
        validation_context: {
          trusted_ca: { inline_bytes: ca.base64 },
          ...(crl && crl.size > 0 ? { crl: { inline_bytes: crl.base64 } } : {}),
        },
      },
    };
  }
  return {
    problem: `${where}: ${empty ?? `no "${GENERIC.ca}" or "${TLS.ca}" key; found: ${keysOf(data)}`}`,
  };
}

interface DataValue {
  /** Canonical base64 of the bytes (what `inline_bytes` carries in canonical form). */
  base64: string;
  size: number;
  error?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A Secret's values by key: `data` (base64, as the API server returns it) overlaid with `stringData`
 * (plain text, which a file-based config directory may hold; the API server merges it into `data`).
 */
function secretData(secret: KubernetesSecret): Map<string, DataValue> {
  const out = new Map<string, DataValue>();
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    const text = typeof value === 'string' ? value : '';
    if (typeof value !== 'string' || !BASE64.test(text)) {
      out.set(key, { base64: '', size: 0, error: `data "${key}" is not valid base64` });
      continue;
    }
    const bytes = Buffer.from(text, 'base64');
    out.set(key, { base64: bytes.toString('base64'), size: bytes.length });
  }
  for (const [key, value] of Object.entries(secret.stringData ?? {})) {
    if (typeof value !== 'string') {
      out.set(key, { base64: '', size: 0, error: `stringData "${key}" is not a string` });
      continue;
    }
    const bytes = Buffer.from(value, 'utf8');
    out.set(key, { base64: bytes.toString('base64'), size: bytes.length });
  }
  return out;
}

function keysOf(data: Map<string, DataValue>): string {
  const keys = [...data.keys()].sort();
  if (keys.length === 0) return 'no keys';
  return keys.length <= 3 ? keys.join(', ') : `${keys.slice(0, 3).join(', ')}, and ${keys.length - 3} more`;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Why PEM certificates (a chain, a CA bundle) cannot be used: none there, or one that does not parse.
 * Such a credential is left out rather than served: the proxy would reject it, and leaving it out
 * keeps the last good version serving there. Validity dates are not checked here: that needs a
 * clock, and this generator is a pure function of the snapshot.
 */
function certificatesProblem(value: DataValue, where: string): string | undefined {
  const blocks = Buffer.from(value.base64, 'base64').toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return `${where} holds no PEM certificate`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `${where}: certificate ${i} does not parse as X.509 (${(err as Error).message})`;
    }
  }
  return undefined;
}

/** Why a certificate and key cannot serve together: either does not parse, or the key is another's. */
function credentialProblem(
  cert: DataValue,
  key: DataValue,
  where: string,
  keys: { cert: string; key: string },
): string | undefined {
  const unparsed = certificatesProblem(cert, `${where} "${keys.cert}"`);
  if (unparsed) return unparsed;
  const chain = Buffer.from(cert.base64, 'base64').toString('utf8');
  const leaf = new X509Certificate(chain.match(PEM_CERTIFICATE)?.[0] ?? '');
  let privateKey;
  try {
    privateKey = createPrivateKey(Buffer.from(key.base64, 'base64').toString('utf8'));
  } catch (err) {
    return `${where} "${keys.key}" is not a PEM private key (${(err as Error).message})`;
  }
  if (!leaf.checkPrivateKey(privateKey))
    return `${where}: "${keys.key}" does not match the certificate in "${keys.cert}"`;
  return undefined;
}
