import { InjectionError } from './injection-error.js';

/**
 * Whether `istio-proxy` is injected as a native sidecar (an init container with
 * `restartPolicy: Always`, which Kubernetes starts before and stops after the app containers) or as
 * a regular container. Istio's `ENABLE_NATIVE_SIDECARS` (istiod's env, `pilot.env` in the chart):
 * `true`, `false`, or `auto` (the default) — native when every node's kubelet (or the pod's node,
 * once scheduled) is 1.33 or later, the release where the feature went GA
 * (`pkg/kube/inject/webhook.go` `detectNativeSidecar`). Without a cluster to ask (`meshctl
 * kube-inject` on files), `auto` means not native, as Istio's injector without a client decides.
 * The pod annotation `sidecar.istio.io/nativeSidecar` overrides all of it.
 */

export type NativeSidecarMode = 'true' | 'false' | 'auto';
export const NATIVE_SIDECARS_ENV = 'ENABLE_NATIVE_SIDECARS';
export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';
/** Kubernetes 1.33: native sidecars GA. */
const MIN_KUBELET_MINOR = 33;

export function parseNativeSidecarMode(value: string | undefined): NativeSidecarMode {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'true' || v === 'false') return v;
  throw new InjectionError(
    'INJECTION_CONFIG_INVALID',
    `${NATIVE_SIDECARS_ENV}="${value}": must be true, false or auto`,
  );
}

/** The minor version of a kubelet version string (`v1.36.3`, `v1.33.0-kwok`), or undefined. */
export function kubeletMinorVersion(version: string | undefined): number | undefined {
  const match = /^v?1\.(\d+)(\.|$|[-+])/.exec(version ?? '');
  return match ? Number(match[1]) : undefined;
}

export interface NodeVersion {
  name: string;
  kubeletVersion?: string;
}

/**
 * Native sidecars for a pod: `nodes` are the cluster's nodes (undefined when there is no cluster to
 * ask), `podNodeName` the pod's node when it is already scheduled.
 */
export function detectNativeSidecars(
  mode: NativeSidecarMode,
  nodes: readonly NodeVersion[] | undefined,
  podNodeName?: string,
): boolean {
  if (mode !== 'auto') return mode === 'true';
  if (nodes === undefined || nodes.length === 0) return false;
  const supports = (node: NodeVersion) =>
    (kubeletMinorVersion(node.kubeletVersion) ?? 0) >= MIN_KUBELET_MINOR;
  const own = podNodeName ? nodes.find((node) => node.name === podNodeName) : undefined;
  return own !== undefined ? supports(own) : nodes.every(supports);
}

/** The pod's own choice, when it makes one. */
export function podNativeSidecarChoice(annotations: Readonly<Record<string, string>>): boolean | undefined {
  const value = annotations[NATIVE_SIDECAR_ANNOTATION];
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false')
    throw new InjectionError(
      'INJECTION_ANNOTATION_INVALID',
      `annotation ${NATIVE_SIDECAR_ANNOTATION}="${value}": must be "true" or "false"`,
    );
  return value === 'true';
}
