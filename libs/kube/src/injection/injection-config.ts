import { parse as parseYaml } from 'yaml';

import type { LabelSelectorObject } from '../label-selector.js';
import { labelSelectorRequirements } from '../label-selector.js';
import type { InjectionPolicy, InjectionPolicyConfig } from './injection-decision.js';
import { InjectionError } from './injection-error.js';

/**
 * The injector's settings, in the shape of Istio's `istio-sidecar-injector` ConfigMap: the `config`
 * key (YAML: `policy`, `alwaysInjectSelector`, `neverInjectSelector`, `injectedAnnotations`,
 * `defaultTemplates`, `templates`) and the `values` key (JSON: the istiod chart's values that the
 * injection template reads). Only the keys below are read. The pod shape is built in code
 * (inject-pod.ts, proxy-container.ts) and no Go template is run, so `templates` must be empty: a
 * template body would be silently ignored, so a hand-edited ConfigMap with one is refused instead.
 * Every default is Istio's, except the images: `npm run images` builds
 * `localhost/mesh/{pilot,proxyv2}:0.1.0`, the istiod chart's default.
 */

export interface InjectionValues {
  revision: string;
  hub: string;
  tag: string;
  /** `global.proxy.image`: a name under `hub`, or a full reference when it contains a `/`. */
  proxyImage: string;
  /** `global.proxy_init.image`. */
  proxyInitImage: string;
  imagePullPolicy?: string;
  istioNamespace: string;
  /** `global.caAddress`; empty means istiod's own 15012 (`istiod[-rev].<ns>.svc:15012`). */
  caAddress: string;
  pilotCertProvider: string;
  meshID: string;
  network: string;
  clusterName: string;
  clusterDomain: string;
  /** `global.sds.token.aud`. */
  tokenAudience: string;
  proxy: {
    autoInject: InjectionPolicy;
    includeIPRanges: string;
    excludeIPRanges: string;
    includeInboundPorts: string;
    excludeInboundPorts: string;
    includeOutboundPorts: string;
    excludeOutboundPorts: string;
    statusPort: number;
    logLevel: string;
    componentLogLevel: string;
    privileged: boolean;
    readinessInitialDelaySeconds: number;
    readinessPeriodSeconds: number;
    readinessFailureThreshold: number;
    startupProbe: { enabled: boolean; failureThreshold: number };
    resources: Record<string, Record<string, string>>;
  };
  logging: { level: string };
  rewriteAppHTTPProbe: boolean;
  enableNamespacesByDefault: boolean;
  /** `pilot.env`: istiod's feature flags (ENABLE_NATIVE_SIDECARS, ENABLE_CLUSTER_TRUST_BUNDLE_API...). */
  pilotEnv: Record<string, string>;
}

export interface InjectorConfig extends InjectionPolicyConfig {
  injectedAnnotations: Record<string, string>;
  defaultTemplates: string[];
}

export const DEFAULT_INJECTION_VALUES: Readonly<InjectionValues> = {
  revision: '',
  hub: 'localhost/mesh',
  tag: '0.1.0',
  proxyImage: 'proxyv2',
  proxyInitImage: 'proxyv2',
  istioNamespace: 'istio-system',
  caAddress: '',
  pilotCertProvider: 'istiod',
  meshID: '',
  network: '',
  clusterName: '',
  clusterDomain: 'cluster.local',
  tokenAudience: 'istio-ca',
  proxy: {
    autoInject: 'enabled',
    includeIPRanges: '*',
    excludeIPRanges: '',
    includeInboundPorts: '*',
    excludeInboundPorts: '',
    includeOutboundPorts: '',
    excludeOutboundPorts: '',
    statusPort: 15020,
    logLevel: 'warning',
    componentLogLevel: 'misc:error',
    privileged: false,
    readinessInitialDelaySeconds: 0,
    readinessPeriodSeconds: 15,
    readinessFailureThreshold: 4,
    startupProbe: { enabled: true, failureThreshold: 600 },
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    },
  },
  logging: { level: 'default:info' },
  rewriteAppHTTPProbe: true,
  enableNamespacesByDefault: false,
  pilotEnv: {},
};

export const DEFAULT_INJECTOR_CONFIG: Readonly<InjectorConfig> = {
  policy: 'enabled',
  neverInjectSelector: [],
  alwaysInjectSelector: [],
  injectedAnnotations: {},
  defaultTemplates: ['sidecar'],
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a typed field at `path` of `root`, or the default; a wrong type is an error naming the path. */
function reader(root: Json, source: string) {
  return <T>(path: string, type: 'string' | 'number' | 'boolean' | 'object', fallback: T): T => {
    let value: unknown = root;
    for (const key of path.split('.')) value = isObject(value) ? value[key] : undefined;
    if (value === undefined || value === null) return fallback;
    // Helm renders numbers in strings often enough ("15020"); Istio's template accepts both.
    if (type === 'number' && typeof value === 'string' && /^\d+$/.test(value)) return Number(value) as T;
    if (type === 'boolean' && (value === 'true' || value === 'false')) return (value === 'true') as T;
    // ...and a tag like 1.26 as a number.
    if (type === 'string' && typeof value === 'number') return String(value) as T;
    if (type === 'object' ? !isObject(value) : typeof value !== type)
      throw new InjectionError('INJECTION_CONFIG_INVALID', `${source} ${path}: expected a ${type}`);
    return value as T;
  };
}

/** The `values` key (JSON, as the istiod chart renders it; YAML is accepted too). */
export function parseInjectionValues(text: string | undefined): InjectionValues {
  const root = parseDocument(text, 'values');
  const read = reader(root, 'values');
  const d = DEFAULT_INJECTION_VALUES;
  const p = d.proxy;
  const policy = read('global.proxy.autoInject', 'string', p.autoInject);
  if (policy !== 'enabled' && policy !== 'disabled')
    throw new InjectionError(
      'INJECTION_CONFIG_INVALID',
      `values global.proxy.autoInject: "${policy}" is not enabled or disabled`,
    );
  const env = read<Json>('pilot.env', 'object', {});
  return {
    revision: read('revision', 'string', d.revision),
    hub: read('global.hub', 'string', d.hub),
    tag: read('global.tag', 'string', d.tag),
    proxyImage: read('global.proxy.image', 'string', d.proxyImage),
    proxyInitImage: read('global.proxy_init.image', 'string', d.proxyInitImage),
    imagePullPolicy: read<string | undefined>('global.imagePullPolicy', 'string', undefined) || undefined,
    istioNamespace: read('global.istioNamespace', 'string', d.istioNamespace),
    caAddress: read('global.caAddress', 'string', d.caAddress),
    pilotCertProvider: read('global.pilotCertProvider', 'string', d.pilotCertProvider),
    meshID: read('global.meshID', 'string', d.meshID),
    network: read('global.network', 'string', d.network),
    clusterName: read('global.multiCluster.clusterName', 'string', d.clusterName),
    clusterDomain: read('global.proxy.clusterDomain', 'string', d.clusterDomain),
    tokenAudience: read('global.sds.token.aud', 'string', d.tokenAudience),
    proxy: {
      autoInject: policy,
      includeIPRanges: read('global.proxy.includeIPRanges', 'string', p.includeIPRanges),
      excludeIPRanges: read('global.proxy.excludeIPRanges', 'string', p.excludeIPRanges),
      includeInboundPorts: read('global.proxy.includeInboundPorts', 'string', p.includeInboundPorts),
      excludeInboundPorts: read('global.proxy.excludeInboundPorts', 'string', p.excludeInboundPorts),
      includeOutboundPorts: read('global.proxy.includeOutboundPorts', 'string', p.includeOutboundPorts),
      excludeOutboundPorts: read('global.proxy.excludeOutboundPorts', 'string', p.excludeOutboundPorts),
      statusPort: read('global.proxy.statusPort', 'number', p.statusPort),
      logLevel: read('global.proxy.logLevel', 'string', p.logLevel),
      componentLogLevel: read('global.proxy.componentLogLevel', 'string', p.componentLogLevel),
      privileged: read('global.proxy.privileged', 'boolean', p.privileged),
      readinessInitialDelaySeconds: read(
        'global.proxy.readinessInitialDelaySeconds',
        'number',
        p.readinessInitialDelaySeconds,
      ),
      readinessPeriodSeconds: read('global.proxy.readinessPeriodSeconds', 'number', p.readinessPeriodSeconds),
      readinessFailureThreshold: read(
        'global.proxy.readinessFailureThreshold',
        'number',
        p.readinessFailureThreshold,
      ),
      startupProbe: {
        enabled: read('global.proxy.startupProbe.enabled', 'boolean', p.startupProbe.enabled),
        failureThreshold: read(
          'global.proxy.startupProbe.failureThreshold',
          'number',
          p.startupProbe.failureThreshold,
        ),
      },
      resources: read('global.proxy.resources', 'object', p.resources),
    },
    logging: { level: read('global.logging.level', 'string', d.logging.level) },
    rewriteAppHTTPProbe: read('sidecarInjectorWebhook.rewriteAppHTTPProbe', 'boolean', d.rewriteAppHTTPProbe),
    enableNamespacesByDefault: read(
      'sidecarInjectorWebhook.enableNamespacesByDefault',
      'boolean',
      d.enableNamespacesByDefault,
    ),
    pilotEnv: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
  };
}

/** The `config` key (YAML). Selectors are checked now, so a bad one fails loading, not every pod. */
export function parseInjectorConfig(text: string | undefined): InjectorConfig {
  const root = parseDocument(text, 'config');
  const read = reader(root, 'config');
  const d = DEFAULT_INJECTOR_CONFIG;
  const policy = read('policy', 'string', d.policy);
  if (policy !== 'enabled' && policy !== 'disabled')
    throw new InjectionError(
      'INJECTION_CONFIG_INVALID',
      `config policy: "${policy}" is not enabled or disabled`,
    );
  const selectors = (key: string): LabelSelectorObject[] => {
    const list = root[key] ?? [];
    if (!Array.isArray(list))
      throw new InjectionError('INJECTION_CONFIG_INVALID', `config ${key}: expected a list`);
    return list.map((selector: unknown, i) => {
      try {
        if (!isObject(selector)) throw new Error('expected a label selector object');
        labelSelectorRequirements(selector as LabelSelectorObject);
      } catch (err) {
        throw new InjectionError(
          'INJECTION_CONFIG_INVALID',
          `config ${key}[${i}]: ${(err as Error).message}`,
        );
      }
      return selector as LabelSelectorObject;
    });
  };
  const [template] = Object.keys(read<Json>('templates', 'object', {}));
  if (template !== undefined)
    throw new InjectionError(
      'INJECTION_CONFIG_INVALID',
      `config.templates.${template}: custom injection templates are not supported: the sidecar and ` +
        'gateway shapes are built into istiod; customise them with the chart values and the pod ' +
        'annotations Istio supports',
    );
  const defaults = root['defaultTemplates'];
  return {
    policy,
    neverInjectSelector: selectors('neverInjectSelector'),
    alwaysInjectSelector: selectors('alwaysInjectSelector'),
    injectedAnnotations: Object.fromEntries(
      Object.entries(read<Json>('injectedAnnotations', 'object', {})).map(([k, v]) => [k, String(v)]),
    ),
    defaultTemplates:
      Array.isArray(defaults) && defaults.length > 0 ? defaults.map(String) : d.defaultTemplates,
  };
}

function parseDocument(text: string | undefined, key: string): Json {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new InjectionError(
      'INJECTION_CONFIG_INVALID',
      `${key}: cannot be parsed: ${(err as Error).message}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) throw new InjectionError('INJECTION_CONFIG_INVALID', `${key}: expected a mapping`);
  return parsed;
}
