import type { AppliedObject } from './apply-install.js';
import type { Component } from './install-values.js';
import { COMPONENT_TITLES, type InstallResult } from './run-install.js';
import type { UninstallScope } from './run-uninstall.js';

/** What install and uninstall print, from their results alone (`-o json` prints the result itself). */

const objectName = (o: { kind: string; name: string; namespace?: string }) =>
  `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** istioctl's line for a finished component, with what was applied. */
export function renderComponentDone(component: Component, objects: AppliedObject[]): string {
  const created = objects.filter((o) => o.created).length;
  return `✔ ${COMPONENT_TITLES[component]} installed (${objects.length} objects: ${created} created, ${objects.length - created} updated)`;
}

/** The summary after the components' lines (which the command prints as each becomes ready). */
export function renderInstallSummary(result: InstallResult): string {
  const lines: string[] = [];
  lines.push(
    result.components.length === 0
      ? `✔ Nothing to install: profile "${result.profile}" has no components`
      : `✔ Installation complete: profile "${result.profile}", revision "${result.revision}", namespace ${result.namespace}${result.namespaceCreated ? ' (created)' : ''}`,
  );
  lines.push('Applied with server-side apply (field manager meshctl):');
  for (const { objects } of result.components)
    for (const object of objects)
      lines.push(`  ${object.created ? 'created' : 'updated'} ${objectName(object)}`);
  return lines.join('\n');
}

export interface UninstallResult {
  scope: UninstallScope;
  removed: { kind: string; name: string; namespace?: string }[];
  dryRun: boolean;
}

export function renderUninstallPlan(result: UninstallResult): string {
  const what = result.scope.purge
    ? 'everything meshctl install created, CRDs included'
    : `control plane revision "${result.scope.revision}"`;
  if (result.removed.length === 0) return `Nothing to remove: no objects of ${what} found.`;
  return [`Will remove ${what}:`, ...result.removed.map((o) => `  ${objectName(o)}`)].join('\n');
}

export function renderUninstallText(result: UninstallResult): string {
  if (result.removed.length === 0) return renderUninstallPlan(result);
  return [
    ...result.removed.map((o) => `  removed ${objectName(o)}`),
    `✔ Uninstall complete: ${result.removed.length} objects removed`,
  ].join('\n');
}
