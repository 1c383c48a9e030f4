import type { ClusterLayout } from './cluster-layout.js';

/**
 * The command line of each component, as kubeadm and kwokctl run them, on loopback only. Secure by
 * default even here: etcd speaks TLS with client-certificate authentication, kube-apiserver serves
 * HTTPS with RBAC, and every component authenticates with a certificate of its own.
 */
export const COMPONENT_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface ClusterPorts {
  readonly apiServer: number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
}

/** Services get cluster IPs from here; the `kubernetes` Service takes the first. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
/**
 * Pods and the simulated node get addresses from these ranges. They are labels in the API only:
 * nothing on this machine listens or routes there (pods are not executed), so no test may connect
 * to them; data-plane tests run their processes on loopback beside the cluster.
 */
export const POD_CIDR = '10.244.0.0/16';
export const NODE_IP = '10.240.0.1';
export const NODE_NAME = 'kwok-node-0';
/** The issuer of service-account tokens, and the audience the API server accepts by default. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/**
 * ClusterTrustBundle is beta (off by default) in Kubernetes 1.33 to 1.36: its feature gate turns the
 * code on and the runtime config serves its API version.
 */
const FEATURE_GATES = 'ClusterTrustBundle=true,ClusterTrustBundleProjection=true';
const RUNTIME_CONFIG = 'certificates.k8s.io/v1beta1/clustertrustbundles=true';

export function componentArgs(name: ComponentName, layout: ClusterLayout, ports: ClusterPorts): string[] {
  const { pki } = layout;
  const etcd = pki.pair('etcd');
  switch (name) {
    case 'etcd': {
      const peer = `https://127.0.0.1:${ports.etcdPeer}`;
      const client = `https://127.0.0.1:${ports.etcdClient}`;
      return [
        '--name=default',
        `--data-dir=${layout.etcdDataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=default=${peer}`,
        `--cert-file=${etcd.cert}`,
        `--key-file=${etcd.key}`,
        `--trusted-ca-file=${pki.caCert}`,
        '--client-cert-auth=true',
        `--peer-cert-file=${etcd.cert}`,
        `--peer-key-file=${etcd.key}`,
        `--peer-trusted-ca-file=${pki.caCert}`,
        '--peer-client-cert-auth=true',
        // No metrics or pprof listeners of its own: only the two ports above.
        '--listen-metrics-urls=',
        '--log-level=warn',
      ];
    }
    case 'kube-apiserver': {
      const serving = pki.pair('apiserver');
      const etcdClient = pki.pair('apiserver-etcd-client');
      return [
        `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
        `--etcd-cafile=${pki.caCert}`,
        `--etcd-certfile=${etcdClient.cert}`,
        `--etcd-keyfile=${etcdClient.key}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.apiServer}`,
        `--tls-cert-file=${serving.cert}`,
        `--tls-private-key-file=${serving.key}`,
        `--client-ca-file=${pki.caCert}`,
        '--authorization-mode=Node,RBAC',
        // On top of the default plugins (NamespaceLifecycle, LimitRanger, ServiceAccount,
        // MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ValidatingAdmissionPolicy, ResourceQuota,
        // ...), as kubeadm enables it.
        '--enable-admission-plugins=NodeRestriction',
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${pki.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--feature-gates=${FEATURE_GATES}`,
        `--runtime-config=${RUNTIME_CONFIG}`,
        '--allow-privileged=true',
        '--profiling=false',
      ];
    }
    case 'kube-controller-manager':
      return [
        `--kubeconfig=${layout.componentKubeconfig('kube-controller-manager')}`,
        '--controllers=*',
        // Each controller acts as its own service account, so RBAC applies to it as in a real cluster.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        // CertificateSigningRequests of the kubernetes.io signers are signed by the cluster CA.
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--feature-gates=${FEATURE_GATES}`,
        // One instance: no leader election to win (a restarted cluster would wait out the old lease).
        '--leader-elect=false',
        // No HTTPS endpoint of its own: nothing scrapes it, and it would be one more port to allocate.
        '--secure-port=0',
        '--profiling=false',
      ];
    case 'kube-scheduler':
      return [
        `--kubeconfig=${layout.componentKubeconfig('kube-scheduler')}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--profiling=false',
      ];
    case 'kwok':
      return [
        `--kubeconfig=${layout.componentKubeconfig('kwok')}`,
        `--config=${layout.kwokConfig}`,
        '--manage-all-nodes=true',
        `--cidr=${POD_CIDR}`,
        `--node-ip=${NODE_IP}`,
        '--node-lease-duration-seconds=40',
      ];
  }
}
