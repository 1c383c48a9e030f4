import { parseAllDocuments } from 'yaml';

import { applySetArgument, type ValueTree } from './helm-set-values.js';

/**
 * The values `meshctl install`, `manifest generate` and `verify-install` render the charts with: the
 * `-f` files in order, then the `--set` arguments in order, then `--profile` and `--revision` (flags
 * win over values naming the same thing), merged as helm merges values (maps deeply, everything else
 * replaced). `-f` takes Helm values, or an IstioOperator as istioctl does (`spec.values`,
 * `spec.meshConfig`, `spec.profile`, `spec.revision`, `spec.hub`, `spec.tag`); `--set values.x=y` is
 * istioctl's spelling of `--set x=y`.
 */

/** Istio's profiles that the charts ship (charts/README.md), and the components each installs. */
export const PROFILE_COMPONENTS = {
  default: ['Base', 'Pilot', 'IngressGateways'],
  demo: ['Base', 'Pilot', 'IngressGateways'],
  minimal: ['Base', 'Pilot'],
  remote: ['Base', 'Pilot'],
  empty: [],
} as const satisfies Record<string, readonly Component[]>;

export type Profile = keyof typeof PROFILE_COMPONENTS;
export const PROFILES = Object.keys(PROFILE_COMPONENTS) as Profile[];

/** istioctl's component names, which also label what install creates (`operator.istio.io/component`). */
export type Component = 'Base' | 'Pilot' | 'IngressGateways';

/** Bad values: the message names the file or argument. */
export class InstallValuesError extends Error {
  override readonly name = 'InstallValuesError';
}

export interface ValueSources {
  /** Contents of each `-f` file, with the name to report. */
  files?: { name: string; text: string }[];
  set?: string[];
  profile?: string;
  revision?: string;
  /** `-i`/`--istioNamespace`: the same as `--set global.istioNamespace=NS`, over the files and --set. */
  istioNamespace?: string;
}

export interface InstallValues {
  values: ValueTree;
  profile: Profile;
  /** The revision value ('' for the default revision). */
  revision: string;
  components: readonly Component[];
  istioNamespace: string;
}

const isTree = (value: unknown): value is ValueTree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** helm's merge of values: `overlay` onto `base`, maps deeply, other values (lists too) replaced. */
export function mergeValues(base: ValueTree, overlay: ValueTree): ValueTree {
  const merged: ValueTree = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    merged[key] = isTree(current) && isTree(value) ? mergeValues(current, value) : value;
  }
  return merged;
}

/** An IstioOperator's settings as chart values. */
function istioOperatorValues(spec: ValueTree, name: string): ValueTree {
  const known = new Set(['values', 'meshConfig', 'profile', 'revision', 'hub', 'tag', 'namespace']);
  const unknown = Object.keys(spec).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new InstallValuesError(
      `${name}: IstioOperator spec.${unknown[0]} is not supported (supported: spec.${[...known].join(', spec.')})`,
    );
  let values: ValueTree = isTree(spec['values']) ? spec['values'] : {};
  if (isTree(spec['meshConfig'])) values = mergeValues(values, { meshConfig: spec['meshConfig'] });
  const global: ValueTree = {};
  if (spec['hub'] !== undefined) global['hub'] = spec['hub'];
  if (spec['tag'] !== undefined) global['tag'] = spec['tag'];
  if (spec['namespace'] !== undefined) global['istioNamespace'] = spec['namespace'];
  if (Object.keys(global).length > 0) values = mergeValues(values, { global });
  for (const key of ['profile', 'revision'] as const) if (spec[key] !== undefined) values[key] = spec[key];
  return values;
}

function fileValues(name: string, text: string): ValueTree {
  const documents = parseAllDocuments(text);
  let values: ValueTree = {};
  for (const doc of documents) {
    if (doc.errors.length > 0) throw new InstallValuesError(`${name}: ${doc.errors[0]?.message}`);
    const content = doc.toJS() as unknown;
    if (content === null || content === undefined) continue;
    if (!isTree(content)) throw new InstallValuesError(`${name}: values must be a YAML map`);
    const isOperator = content['kind'] === 'IstioOperator';
    values = mergeValues(
      values,
      isOperator ? istioOperatorValues(isTree(content['spec']) ? content['spec'] : {}, name) : content,
    );
  }
  return values;
}

function text(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' && typeof value !== 'number')
    throw new InstallValuesError(`${what} must be a string, not ${JSON.stringify(value)}`);
  return String(value);
}

/** The revision as the charts take it: '' for the default revision, which istioctl also names "default". */
export const revisionValue = (revision: string) => (revision === 'default' ? '' : revision);

export function resolveInstallValues(sources: ValueSources): InstallValues {
  let values: ValueTree = {};
  for (const file of sources.files ?? []) values = mergeValues(values, fileValues(file.name, file.text));
  const set: ValueTree = {};
  for (const argument of sources.set ?? [])
    applySetArgument(set, argument.startsWith('values.') ? argument.slice('values.'.length) : argument);
  values = mergeValues(values, set);
  if (sources.profile !== undefined) values['profile'] = sources.profile;
  if (sources.revision !== undefined) values['revision'] = sources.revision;

  const profile = text(values['profile'], 'profile') || 'default';
  if (!(profile in PROFILE_COMPONENTS))
    throw new InstallValuesError(`unknown profile "${profile}": the profiles are ${PROFILES.join(', ')}`);
  values['profile'] = profile;
  const revision = revisionValue(text(values['revision'], 'revision'));
  if (revision !== '' && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(revision))
    throw new InstallValuesError(
      `revision "${revision}" is not a valid label value of lowercase letters, digits and '-' (at most 63)`,
    );
  if (values['revision'] !== undefined) values['revision'] = revision;
  if (sources.istioNamespace !== undefined)
    values = mergeValues(values, { global: { istioNamespace: sources.istioNamespace } });
  const global = isTree(values['global']) ? values['global'] : {};
  const istioNamespace = text(global['istioNamespace'], 'global.istioNamespace') || 'istio-system';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(istioNamespace))
    throw new InstallValuesError(
      `istio namespace "${istioNamespace}" is not a valid namespace name of lowercase letters, digits and '-' (at most 63)`,
    );
  return {
    values,
    profile: profile as Profile,
    revision,
    components: PROFILE_COMPONENTS[profile as Profile],
    istioNamespace,
  };
}
