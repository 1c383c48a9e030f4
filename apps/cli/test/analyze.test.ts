import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

/**
 * The built `meshctl analyze` on sample directories: exact standard output, standard error and exit
 * codes, as `istioctl analyze --use-kube=false` prints them. Needs `npm run build` (it runs dist/).
 */

const MESHCTL = join(import.meta.dirname, '..', 'bin', 'run.js');
const SAMPLES = join(import.meta.dirname, 'testdata', 'analyze');
const EXAMPLE = join(import.meta.dirname, '..', '..', '..', 'examples', 'bookinfo-local');
const scratch = mkdtempSync(join(tmpdir(), 'meshctl-analyze-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function analyze(args: string[], cwd = SAMPLES) {
  const run = spawnSync(process.execPath, [MESHCTL, 'analyze', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const MISTAKES = [
  'Error [IST0101] (VirtualService default/ratings bookinfo/mistakes.yaml:22) Referenced host not found: "ratings"',
  'Error [IST0101] (VirtualService default/reviews-canary bookinfo/mistakes.yaml:12) Referenced host+subset in ' +
    'destinationrule not found: "reviews+v3"',
  'Warning [IST0127] (AuthorizationPolicy default/details-viewer bookinfo/mistakes.yaml:29) No matching workloads ' +
    'for this resource with the following labels: app=details',
];

const FOUND_ISSUES =
  'Error: Analyzers found issues when analyzing namespace: default.\n' +
  'See https://istio.io/latest/docs/reference/config/analysis for more information about causes and resolutions.\n';

describe('meshctl analyze', () => {
  it('finds nothing in the bookinfo example and says so on standard error', () => {
    const run = analyze(['--use-kube=false', 'config'], EXAMPLE);
    expect(run).toEqual({
      status: 0,
      stdout: '',
      stderr:
        '✔ No validation issues found when analyzing config/security.yaml\nconfig/services.yaml\nconfig/traffic.yaml.\n',
    });
  });

  it('reports a missing subset, an unknown host and a selector matching nothing, and exits 79', () => {
    expect(analyze(['--use-kube=false', 'bookinfo'])).toEqual({
      status: 79,
      stdout: `${MISTAKES.join('\n')}\n`,
      stderr: FOUND_ISSUES,
    });
  });

  it('prints istioctl JSON with -o json (and exits 0, as istioctl does for json and yaml)', () => {
    const run = analyze(['-o', 'json', '--output-threshold', 'warning', 'bookinfo/mistakes.yaml']);
    expect(run.status).toBe(0);
    const messages = JSON.parse(run.stdout) as Record<string, string>[];
    expect(messages[0]).toEqual({
      code: 'IST0101',
      documentationUrl:
        'https://istio.io/latest/docs/reference/config/analysis/ist0101/?ref=istioctl-analyze',
      level: 'Error',
      message: 'Referenced host not found: "ratings"',
      origin: 'VirtualService default/ratings',
      reference: 'bookinfo/mistakes.yaml:22',
    });
    expect(run.stdout).toContain('\n\t{\n\t\t"code"');
  });

  it('writes a SARIF log with -o sarif, each result at its file and line', () => {
    const run = analyze(['-o', 'sarif', 'bookinfo']);
    expect(run.status).toBe(0);
    const log = JSON.parse(run.stdout) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; name: string }[] } };
        results: Record<string, unknown>[];
      }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.tool.driver.rules.map((r) => `${r.id} ${r.name}`)).toEqual([
      'IST0101 ReferencedResourceNotFound',
      'IST0127 NoMatchingWorkloadsFound',
    ]);
    expect(log.runs[0]?.results[0]).toEqual({
      ruleId: 'IST0101',
      ruleIndex: 0,
      level: 'error',
      message: { text: 'Referenced host not found: "ratings"' },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'bookinfo/mistakes.yaml' },
            region: { startLine: 22 },
          },
          logicalLocations: [{ fullyQualifiedName: 'VirtualService default/ratings', kind: 'resource' }],
        },
      ],
    });
  });

  it('lists its analyzers with -L, as istioctl does', () => {
    const run = analyze(['-L']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      '* virtualservice.DestinationRuleAnalyzer:\n    Checks the destination rules associated with each virtual service\n',
    );
    expect(run.stdout.match(/^\* /gm)).toHaveLength(19);
  });

  it('applies --suppress and --failure-threshold, and filters by -n', () => {
    const suppressed = analyze([
      'bookinfo',
      '--suppress',
      'IST0101=VirtualService *.default',
      '--failure-threshold',
      'Error',
    ]);
    expect(suppressed).toEqual({ status: 0, stdout: `${MISTAKES[2]}\n`, stderr: '' });
    const other = analyze(['bookinfo', '-n', 'other']);
    expect(other.status).toBe(79);
    expect(other.stdout).toContain('(VirtualService other/ratings bookinfo/mistakes.yaml:22)');
  });

  it('exits 1 on files it cannot parse, once nothing else failed', () => {
    writeFileSync(join(scratch, 'broken.yaml'), 'kind: [unclosed\n');
    const broken = analyze(['broken.yaml'], scratch);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/^Error\(s\) adding files: 1 error occurred:\n\t\* broken\.yaml:\d+: /);
    expect(broken.stderr).toContain(
      "No validation issues found when analyzing namespace: default (but 1 file could not be parsed).\nError: Some files couldn't be parsed.\n",
    );
    expect(analyze(['--ignore-unknown', 'broken.yaml'], scratch).status).toBe(0);
  });

  it("reports an EnvoyFilter patch value Envoy cannot read as istioctl's schema validation error", () => {
    writeFileSync(
      join(scratch, 'envoy-filter.yaml'),
      'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: cluster, namespace: default}\n' +
        'spec:\n  configPatches:\n  - applyTo: CLUSTER\n    patch:\n      operation: ADD\n' +
        '      value: {name: c, connect_timeout: 5}\n',
    );
    const result = analyze(['envoy-filter.yaml'], scratch);
    expect(result.status).toBe(79);
    expect(result.stdout).toContain(
      'Error [IST0106] (EnvoyFilter default/cluster envoy-filter.yaml:9) Schema validation error: ' +
        'spec.configPatches[0].patch.value.connect_timeout: Envoy filter: expected a duration such as "1.5s" or "500ms", got number 5',
    );
  });

  it('takes the root namespace and ingress mode from --meshConfigFile, and refuses a bad one', () => {
    writeFileSync(join(scratch, 'mesh.yaml'), 'rootNamespace: mesh-root\ningressControllerMode: "OFF"\n');
    writeFileSync(join(scratch, 'bad-mesh.yaml'), 'rootNamespace: [x]\n');
    writeFileSync(
      join(scratch, 'gateway.yaml'),
      [
        'apiVersion: networking.istio.io/v1',
        'kind: Gateway',
        'metadata: {name: public, namespace: default}',
        'spec:',
        '  selector: {istio: ingressgateway}',
        '  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: app, namespace: default, labels: {app: app}}',
        'spec: {containers: [{name: app, image: app}]}',
        '',
      ].join('\n'),
    );
    expect(analyze(['gateway.yaml'], scratch).status).toBe(0);
    const off = analyze(['--meshConfigFile', 'mesh.yaml', 'gateway.yaml'], scratch);
    expect(off.stdout).toBe(
      'Error [IST0101] (Gateway default/public gateway.yaml:5) Referenced selector not found: "istio=ingressgateway"\n',
    );
    writeFileSync(
      join(scratch, 'policy.yaml'),
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: app, namespace: mesh-root}\n' +
        'spec: {selector: {matchLabels: {app: app}}}\n',
    );
    // In the root namespace the policy selects the pods of every namespace; elsewhere only its own.
    expect(analyze(['-A', 'policy.yaml', 'gateway.yaml'], scratch).stdout).toContain('[IST0127]');
    expect(
      analyze(['-A', '--meshConfigFile', 'mesh.yaml', 'policy.yaml', 'gateway.yaml'], scratch).stdout,
    ).not.toContain('[IST0127]');
    const bad = analyze(['--meshConfigFile', 'bad-mesh.yaml', 'gateway.yaml'], scratch);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('bad-mesh.yaml:1');
  });

  it('refuses what it cannot do with usage errors (64)', () => {
    expect(analyze(['bookinfo', '--use-kube=maybe']).status).toBe(64);
    expect(analyze(['bookinfo', '-o', 'table']).status).toBe(64);
    expect(analyze(['bookinfo', '--suppress', 'IST0101']).status).toBe(64);
    expect(analyze([]).status).toBe(64);
  });
});
