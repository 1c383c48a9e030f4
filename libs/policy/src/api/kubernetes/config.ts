import type { KubeObject } from './object-meta.js';

/** ConfigMap and Secret: mesh config (`istio`), root cert distribution, plug-in CA and gateway credentials. */

export interface ConfigMap extends KubeObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface Secret extends KubeObject {
  apiVersion: 'v1';
  kind: 'Secret';
  /** e.g. `kubernetes.io/tls` for gateway credentials, `Opaque` for the `cacerts` layout. */
  type?: string;
  /** Base64-encoded values, as the API server returns them. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
