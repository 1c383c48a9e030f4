import type { KubeObject, ObjectReference } from './object-meta.js';

/** Service, Endpoints and EndpointSlice: what the service registry is built from on Kubernetes. */

export interface K8sServicePort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** Drives protocol selection before the port name does (`http`, `grpc`, `kubernetes.io/h2c`, ...). */
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  [field: string]: unknown;
}

export interface Service extends KubeObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec?: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    selector?: Record<string, string>;
    ports?: K8sServicePort[];
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    [field: string]: unknown;
  };
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
  [field: string]: unknown;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
  [field: string]: unknown;
}

export interface Endpoints extends KubeObject {
  apiVersion: 'v1';
  kind: 'Endpoints';
  subsets?: {
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: EndpointPort[];
    [field: string]: unknown;
  }[];
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface EndpointSlice extends KubeObject {
  apiVersion: 'discovery.k8s.io/v1';
  kind: 'EndpointSlice';
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    hostname?: string;
    nodeName?: string;
    zone?: string;
    targetRef?: ObjectReference;
    [field: string]: unknown;
  }[];
  ports?: EndpointPort[];
}
