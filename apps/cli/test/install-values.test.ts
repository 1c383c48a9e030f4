import { describe, expect, it } from 'vitest';

import {
  applySetArgument,
  SetValueError,
  typedSetValue,
  type ValueTree,
} from '../src/install/helm-set-values.js';
import { InstallValuesError, mergeValues, resolveInstallValues } from '../src/install/install-values.js';

const set = (...args: string[]) => {
  const tree: ValueTree = {};
  for (const arg of args) applySetArgument(tree, arg);
  return tree;
};

describe('helm --set parsing', () => {
  it('types values as helm does: booleans and null in any case, integers without a leading zero', () => {
    expect([true, false, null, 0, 42, -7].map((v) => typedSetValue(String(v)))).toEqual([
      true,
      false,
      null,
      0,
      42,
      -7,
    ]);
    expect(typedSetValue('TRUE')).toBe(true);
    expect(typedSetValue('007')).toBe('007');
    expect(typedSetValue('1.5')).toBe('1.5');
    expect(typedSetValue('99999999999999999999')).toBe('99999999999999999999');
  });

  it('nests dotted keys, keeps escaped dots, splits pairs at unescaped commas', () => {
    expect(set('pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API=true')).toEqual({
      pilot: { env: { ENABLE_CLUSTER_TRUST_BUNDLE_API: true } },
    });
    expect(set('podAnnotations.sidecar\\.istio\\.io/inject=false')).toEqual({
      podAnnotations: { 'sidecar.istio.io/inject': false },
    });
    expect(set('a=1,b.c=x\\,y', 'd=e=f')).toEqual({ a: 1, b: { c: 'x,y' }, d: 'e=f' });
  });

  it('sets list elements by index and reads {a,b} lists', () => {
    expect(set('global.proxy.excludeIPRanges[1]=10.0.0.0/8')).toEqual({
      global: { proxy: { excludeIPRanges: [null, '10.0.0.0/8'] } },
    });
    expect(set('items[0].name=a', 'items[0].port=80')).toEqual({ items: [{ name: 'a', port: 80 }] });
    expect(set('defaultTemplates={sidecar,custom}')).toEqual({ defaultTemplates: ['sidecar', 'custom'] });
  });

  it('refuses what helm refuses, quoting the argument', () => {
    expect(() => set('novalue')).toThrow(new SetValueError('--set novalue: "novalue" is not key=value'));
    expect(() => set('a..b=1')).toThrow(/empty key segment/);
    expect(() => set('=1')).toThrow(/the key is empty/);
  });
});

describe('install values', () => {
  it('merges maps deeply and replaces lists and scalars, as helm merges values', () => {
    expect(mergeValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: { e: 2 } })).toEqual({
      a: { b: 1, c: [3] },
      d: { e: 2 },
    });
  });

  it('applies -f files in order, then --set, then --profile and --revision', () => {
    const result = resolveInstallValues({
      files: [
        { name: 'one.yaml', text: 'pilot:\n  env:\n    A: "1"\n    B: "1"\nprofile: minimal\n' },
        { name: 'two.yaml', text: 'pilot:\n  env:\n    B: "2"\n' },
      ],
      set: ['pilot.env.C=3', 'values.meshConfig.accessLogFile=/dev/stdout'],
      profile: 'demo',
      revision: 'canary',
    });
    expect(result.values).toEqual({
      pilot: { env: { A: '1', B: '2', C: 3 } },
      meshConfig: { accessLogFile: '/dev/stdout' },
      profile: 'demo',
      revision: 'canary',
    });
    expect(result).toMatchObject({
      profile: 'demo',
      revision: 'canary',
      components: ['Base', 'Pilot', 'IngressGateways'],
      istioNamespace: 'istio-system',
    });
  });

  it('reads an IstioOperator as istioctl does', () => {
    const operator = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: minimal
  hub: example.com/mesh
  meshConfig: { accessLogFile: /dev/stdout }
  values:
    pilot: { env: { ENABLE_CLUSTER_TRUST_BUNDLE_API: "true" } }
`;
    const result = resolveInstallValues({ files: [{ name: 'iop.yaml', text: operator }] });
    expect(result.values).toEqual({
      pilot: { env: { ENABLE_CLUSTER_TRUST_BUNDLE_API: 'true' } },
      meshConfig: { accessLogFile: '/dev/stdout' },
      global: { hub: 'example.com/mesh' },
      profile: 'minimal',
    });
    expect(result.components).toEqual(['Base', 'Pilot']);
    expect(() =>
      resolveInstallValues({
        files: [{ name: 'iop.yaml', text: 'kind: IstioOperator\nspec:\n  components: {}\n' }],
      }),
    ).toThrow(/iop.yaml: IstioOperator spec.components is not supported/);
  });

  it('maps the "default" revision to the charts\' empty one, and refuses bad profiles and revisions', () => {
    expect(resolveInstallValues({ revision: 'default' }).revision).toBe('');
    expect(resolveInstallValues({}).profile).toBe('default');
    expect(() => resolveInstallValues({ set: ['profile=ambient'] })).toThrow(
      new InstallValuesError(
        'unknown profile "ambient": the profiles are default, demo, minimal, remote, empty',
      ),
    );
    expect(() => resolveInstallValues({ revision: 'Canary_1' })).toThrow(
      /revision "Canary_1" is not a valid label/,
    );
    expect(() => resolveInstallValues({ files: [{ name: 'x.yaml', text: '- a\n- b\n' }] })).toThrow(
      'x.yaml: values must be a YAML map',
    );
  });

  it('installs the components of each profile', () => {
    const components = (profile: string) => resolveInstallValues({ profile }).components;
    expect(components('default')).toEqual(['Base', 'Pilot', 'IngressGateways']);
    expect(components('minimal')).toEqual(['Base', 'Pilot']);
    expect(components('remote')).toEqual(['Base', 'Pilot']);
    expect(components('empty')).toEqual([]);
  });

  it('-i/--istioNamespace sets global.istioNamespace over files and --set, and refuses a bad name', () => {
    const result = resolveInstallValues({
      files: [{ name: 'iop.yaml', text: 'kind: IstioOperator\nspec:\n  namespace: from-file\n' }],
      set: ['global.istioNamespace=from-set'],
      istioNamespace: 'mesh-system',
    });
    expect(result.istioNamespace).toBe('mesh-system');
    expect(result.values['global']).toEqual({ istioNamespace: 'mesh-system' });
    expect(resolveInstallValues({ set: ['global.istioNamespace=from-set'] }).istioNamespace).toBe('from-set');
    expect(() => resolveInstallValues({ istioNamespace: 'Mesh_System' })).toThrow(
      /istio namespace "Mesh_System" is not a valid namespace name/,
    );
  });
});
