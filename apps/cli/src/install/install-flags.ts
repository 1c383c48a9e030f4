import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';

import { Flags } from '@oclif/core';

import { ChartSourceError, locateCharts, locateHelm } from './chart-sources.js';
import { SetValueError } from './helm-set-values.js';
import { InstallValuesError, PROFILES, resolveInstallValues, type InstallValues } from './install-values.js';
import { renderManifests, type ComponentManifest } from './render-manifests.js';

/** The flags install, manifest generate and verify-install share (istioctl's names), and their use. */

export const valueFlags = {
  profile: Flags.string({
    options: PROFILES,
    description: 'installation profile (the same as --set profile=NAME); default: default',
  }),
  set: Flags.string({
    char: 's',
    multiple: true,
    description: "a chart value, helm --set syntax (values.x=y is istioctl's spelling of x=y)",
  }),
  filename: Flags.string({
    char: 'f',
    multiple: true,
    description: 'Helm values file, or an IstioOperator (spec.values, spec.meshConfig, spec.profile, ...)',
  }),
  revision: Flags.string({ char: 'r', description: 'control plane revision (the same as --set revision=R)' }),
  istioNamespace: istioNamespaceFlag(),
  manifests: Flags.string({
    char: 'd',
    description: 'directory of the charts (base/, istiod/, gateway/); default: the charts meshctl ships',
  }),
};

/**
 * istioctl's `-i`/`--istioNamespace`, the control plane's namespace. These commands act on no other
 * namespace, so istioctl's `-n`/`--namespace` names the same one here.
 */
export function istioNamespaceFlag() {
  return Flags.string({
    char: 'i',
    charAliases: ['n'],
    aliases: ['namespace'],
    description:
      'namespace of the control plane, -n for short (the same as --set global.istioNamespace=NS); default: istio-system',
  });
}

export const clusterFlags = {
  kubeconfig: Flags.string({
    char: 'c',
    description: 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)',
  }),
  context: Flags.string({ description: 'kubeconfig context to use' }),
};

export interface ValueFlagValues {
  profile?: string;
  set?: string[];
  filename?: string[];
  revision?: string;
  istioNamespace?: string;
  manifests?: string;
}

/** The values from the flags, and the charts rendered with them (throws the modules' errors). */
export function renderFromFlags(flags: ValueFlagValues): {
  install: InstallValues;
  manifests: ComponentManifest[];
} {
  const files = (flags.filename ?? []).map((name) => ({
    name,
    text: readFileSync(name === '-' ? 0 : name, 'utf8'),
  }));
  const install = resolveInstallValues({
    files,
    set: flags.set ?? [],
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
    ...(flags.revision !== undefined ? { revision: flags.revision } : {}),
    ...(flags.istioNamespace !== undefined ? { istioNamespace: flags.istioNamespace } : {}),
  });
  const chartsDir = locateCharts(flags.manifests);
  return { install, manifests: renderManifests(locateHelm(chartsDir), chartsDir, install) };
}

/**
 * `renderFromFlags` for a command: bad values, an unreadable values file and charts or helm that cannot
 * be found end the command as usage errors (exit 2) with their message; anything else is a bug and thrown.
 */
export function renderForCommand(
  command: { error(message: string, options: { exit: number }): never },
  flags: ValueFlagValues,
): ReturnType<typeof renderFromFlags> {
  try {
    return renderFromFlags(flags);
  } catch (err) {
    if (err instanceof InstallValuesError || err instanceof SetValueError || err instanceof ChartSourceError)
      command.error(err.message, { exit: 2 });
    const { code, path } = err as NodeJS.ErrnoException;
    if (code) command.error(`cannot read ${path ?? ''}: ${code}`, { exit: 2 });
    throw err;
  }
}

/** Asks on the terminal; false when the answer is not y/yes. */
export async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(`${question} (y/N) `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    terminal.close();
  }
}
