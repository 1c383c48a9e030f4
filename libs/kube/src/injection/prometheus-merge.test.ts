import { DEFAULT_MESH_CONFIG } from '@mesh/policy';
import { describe, expect, it } from 'vitest';

import { applyJsonPatch } from '../object-patches.js';
import { injectPod } from './inject-pod.js';
import { parseInjectionValues, parseInjectorConfig } from './injection-config.js';
import type { PodLike } from './pod-patch.js';

/**
 * Istio's metrics merging through the whole injection (webhook patch and kube-inject pod alike): the
 * pod's scrape annotations afterwards and `istio-proxy`'s ISTIO_PROMETHEUS_ANNOTATIONS, as Istio's
 * applyPrometheusMerge gives them.
 */

const pod = (annotations: Record<string, string>): PodLike => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app', namespace: 'default', labels: { app: 'app' }, annotations },
  spec: { containers: [{ name: 'app', image: 'app' }] },
});

const AGENT = {
  'prometheus.io/port': '15020',
  'prometheus.io/path': '/stats/prometheus',
  'prometheus.io/scrape': 'true',
};

interface Row {
  name: string;
  annotations: Record<string, string>;
  meshMerge?: boolean;
  /** The pod's annotations whose names Prometheus reads as scrape annotations, after injection. */
  scrape: Record<string, string>;
  /** ISTIO_PROMETHEUS_ANNOTATIONS, or undefined when istio-proxy has none. */
  env?: { scrape: string; path: string; port: string };
}

const rows: Row[] = [
  {
    name: 'no annotations: scraped at the agent, nothing of the app to merge',
    annotations: {},
    scrape: AGENT,
  },
  {
    name: "the app's scrape, port and path move to the env; the pod points at the agent",
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/m' },
    scrape: AGENT,
    env: { scrape: 'true', path: '/m', port: '9090' },
  },
  {
    name: 'a port alone is merged (scrape defaults to on)',
    annotations: { 'prometheus.io/port': '8080' },
    scrape: AGENT,
    env: { scrape: '', path: '', port: '8080' },
  },
  {
    name: 'every spelling Prometheus reads is moved and removed',
    annotations: { 'prometheus-io/scrape': 'True', 'prometheus.io.port': '7070' },
    scrape: AGENT,
    env: { scrape: 'True', path: '', port: '7070' },
  },
  {
    name: 'prometheus.io/scrape: "false" is left alone',
    annotations: { 'prometheus.io/scrape': 'false', 'prometheus.io/port': '9090' },
    scrape: { 'prometheus.io/scrape': 'false', 'prometheus.io/port': '9090' },
  },
  {
    name: 'a pod already pointing at the agent (re-injection) is left alone',
    annotations: { 'prometheus.io/port': '15020', 'prometheus.io/path': '/custom' },
    scrape: { 'prometheus.io/port': '15020', 'prometheus.io/path': '/custom' },
  },
  {
    name: 'enablePrometheusMerge: false in MeshConfig leaves the annotations',
    annotations: { 'prometheus.io/port': '9090' },
    meshMerge: false,
    scrape: { 'prometheus.io/port': '9090' },
  },
  {
    name: 'the pod annotation prometheus.istio.io/merge-metrics wins over MeshConfig',
    annotations: { 'prometheus.istio.io/merge-metrics': 'true', 'prometheus.io/port': '9090' },
    meshMerge: false,
    scrape: AGENT,
    env: { scrape: '', path: '', port: '9090' },
  },
  {
    name: 'merge-metrics: "false" on the pod turns it off',
    annotations: { 'prometheus.istio.io/merge-metrics': 'false', 'prometheus.io/port': '9090' },
    scrape: { 'prometheus.io/port': '9090' },
  },
];

const scrapeAnnotations = (annotations: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries(annotations).filter(([name]) =>
      /^prometheus_io_(scrape|port|path)$/.test(name.replace(/[^a-zA-Z0-9_]/g, '_')),
    ),
  );

describe('injectPod: Prometheus metrics merging', () => {
  it.each(rows)('$name', (row) => {
    const original = pod(row.annotations);
    const result = injectPod({
      pod: original,
      namespace: 'default',
      config: parseInjectorConfig(undefined),
      values: parseInjectionValues(undefined),
      meshConfig: { ...DEFAULT_MESH_CONFIG, enablePrometheusMerge: row.meshMerge ?? true },
      nativeSidecars: false,
    });
    expect(result.decision.inject).toBe(true);
    expect(scrapeAnnotations(result.pod.metadata?.annotations)).toEqual(row.scrape);
    const proxy = result.pod.spec.containers.find((c) => c.name === 'istio-proxy');
    const env = proxy?.env?.filter((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? [];
    expect(env.map((e) => JSON.parse(e.value ?? '') as unknown)).toEqual(row.env ? [row.env] : []);
    // Istio's JSON field order (PrometheusScrapeConfiguration: scrape, path, port).
    if (row.env)
      expect(Object.keys(JSON.parse(env[0]!.value ?? '') as object)).toEqual(['scrape', 'path', 'port']);
    expect(applyJsonPatch(original, result.patch)).toEqual(result.pod);
  });
});
