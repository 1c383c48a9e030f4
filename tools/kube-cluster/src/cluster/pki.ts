import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The cluster's keys and certificates, made with openssl the way kubeadm lays them out: one CA that
 * signs the serving certificates (kube-apiserver, etcd) and the client certificates each component
 * authenticates with (the apiserver trusts it as --client-ca-file; RBAC sees the subject's CN as the
 * user and O as the groups), and the key pair that signs and verifies service-account tokens.
 * Every private key is readable by its owner only.
 */
export interface ClusterPki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  /** cert/key by name: apiserver, etcd, apiserver-etcd-client, and each client identity below. */
  pair(name: PkiPairName): { cert: string; key: string };
}

/** The identities the cluster's clients use (user = CN, groups = O). */
export const CLIENT_IDENTITIES = {
  admin: { commonName: 'kubernetes-admin', organization: 'system:masters' },
  'kube-controller-manager': { commonName: 'system:kube-controller-manager' },
  'kube-scheduler': { commonName: 'system:kube-scheduler' },
  // kwok plays every node's kubelet at once, so it cannot be one system:node:<name> identity; like
  // kwokctl's clusters it is trusted with the whole cluster.
  kwok: { commonName: 'kwok-controller', organization: 'system:masters' },
} as const satisfies Record<string, { commonName: string; organization?: string }>;

export type ClientName = keyof typeof CLIENT_IDENTITIES;
export type PkiPairName = ClientName | 'apiserver' | 'etcd' | 'apiserver-etcd-client';

/** The names kube-apiserver answers to, inside and outside the cluster (as kubeadm's certificate). */
const APISERVER_DNS_NAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env } });
  if (result.error)
    throw new Error(
      `openssl could not run (${result.error.message}): the cluster's certificates are made with it`,
    );
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function subject(names: { commonName: string; organization?: string }): string {
  return `${names.organization ? `/O=${names.organization}` : ''}/CN=${names.commonName}`;
}

/** Creates whatever of the PKI is missing in `dir` (an existing cluster keeps its keys). */
export function ensurePki(dir: string, options: { serviceIp: string }): ClusterPki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  const pki: ClusterPki = {
    dir,
    caCert: file('ca.crt'),
    caKey: file('ca.key'),
    serviceAccountKey: file('sa.key'),
    serviceAccountPublicKey: file('sa.pub'),
    pair: (name) => ({ cert: file(`${name}.crt`), key: file(`${name}.key`) }),
  };
  const previousUmask = process.umask(0o077);
  try {
    if (!existsSync(pki.caCert)) {
      openssl([
        'req', '-x509', '-new', ...EC_KEY, '-keyout', pki.caKey, '-out', pki.caCert, '-days', '3650',
        '-subj', '/CN=mesh-kube-cluster-ca',
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]); // prettier-ignore
    }
    const issue = (
      name: PkiPairName,
      names: { commonName: string; organization?: string },
      extensions: string[],
    ) => {
      const { cert, key } = pki.pair(name);
      if (existsSync(cert)) return;
      openssl([
        'req', '-x509', '-new', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '365',
        '-CA', pki.caCert, '-CAkey', pki.caKey, '-subj', subject(names),
        '-addext', 'basicConstraints=critical,CA:FALSE',
        '-addext', 'keyUsage=critical,digitalSignature',
        ...extensions.flatMap((extension) => ['-addext', extension]),
      ]); // prettier-ignore
    };
    const serverNames = (dns: string[], ips: string[]) =>
      `subjectAltName=${[...dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(',')}`;
    issue('apiserver', { commonName: 'kube-apiserver' }, [
      'extendedKeyUsage=serverAuth',
      serverNames(APISERVER_DNS_NAMES, ['127.0.0.1', options.serviceIp]),
    ]);
    issue('etcd', { commonName: 'etcd' }, [
      // etcd's single member also dials itself as a client of its own peer URL.
      'extendedKeyUsage=serverAuth,clientAuth',
      serverNames(['localhost'], ['127.0.0.1']),
    ]);
    issue('apiserver-etcd-client', { commonName: 'kube-apiserver-etcd-client' }, [
      'extendedKeyUsage=clientAuth',
    ]);
    for (const [name, names] of Object.entries(CLIENT_IDENTITIES))
      issue(name as ClientName, names, ['extendedKeyUsage=clientAuth']);
    if (!existsSync(pki.serviceAccountKey)) {
      openssl([
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        'rsa_keygen_bits:2048',
        '-out',
        pki.serviceAccountKey,
      ]);
      openssl(['pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPublicKey]);
    }
  } finally {
    process.umask(previousUmask);
  }
  return pki;
}
