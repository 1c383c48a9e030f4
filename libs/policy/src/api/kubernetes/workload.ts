import type { KubeObject } from './object-meta.js';

/** Pod, Namespace and ServiceAccount: workload identity, labels and injection decisions. */

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  /** Set on native sidecars (init containers that keep running), e.g. an injected `istio-proxy`. */
  restartPolicy?: 'Always';
  [field: string]: unknown;
}

export interface Pod extends KubeObject {
  apiVersion: 'v1';
  kind: 'Pod';
  spec?: {
    containers: Container[];
    initContainers?: Container[];
    serviceAccountName?: string;
    hostNetwork?: boolean;
    nodeName?: string;
    [field: string]: unknown;
  };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    conditions?: { type: string; status: 'True' | 'False' | 'Unknown'; [field: string]: unknown }[];
    [field: string]: unknown;
  };
}

/** Cluster-scoped: its labels (`istio-injection`, `istio.io/rev`) steer sidecar injection. */
export interface Namespace extends KubeObject {
  apiVersion: 'v1';
  kind: 'Namespace';
}

/** The identity a workload's SPIFFE ID is derived from. */
export interface ServiceAccount extends KubeObject {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
}
