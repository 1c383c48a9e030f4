/** Sidecar injection (pure): Istio's decision table and injected pod shape, for the webhook and kube-inject. */
export * from './app-probes.js';
export * from './inject-pod.js';
export * from './injection-config.js';
export * from './injection-decision.js';
export * from './injection-error.js';
export * from './native-sidecars.js';
export * from './pod-patch.js';
export * from './proxy-container.js';
export * from './sidecar-volumes.js';
export * from './traffic-interception.js';
export * from './workload-identity.js';
export * from './prometheus-merge.js';
