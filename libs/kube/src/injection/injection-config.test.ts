import { describe, expect, it } from 'vitest';

import { DEFAULT_INJECTION_VALUES, parseInjectionValues, parseInjectorConfig } from './injection-config.js';
import { isInjectionError } from './injection-error.js';
import { detectNativeSidecars, kubeletMinorVersion, parseNativeSidecarMode } from './native-sidecars.js';

const failure = (run: () => unknown): Error | undefined => {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  return undefined;
};

describe('the istio-sidecar-injector ConfigMap', () => {
  it("reads Istio's keys of `values` (JSON as the chart renders it) over Istio's defaults", () => {
    const values = parseInjectionValues(
      JSON.stringify({
        global: { hub: 'r.example/mesh', tag: 1.2, proxy: { statusPort: '15021', autoInject: 'disabled' } },
        sidecarInjectorWebhook: { rewriteAppHTTPProbe: false, enableNamespacesByDefault: true },
      }),
    );
    expect(values).toMatchObject({
      hub: 'r.example/mesh',
      tag: '1.2',
      rewriteAppHTTPProbe: false,
      enableNamespacesByDefault: true,
    });
    expect(values.proxy).toMatchObject({ statusPort: 15021, autoInject: 'disabled', logLevel: 'warning' });
    expect(parseInjectionValues('')).toEqual(DEFAULT_INJECTION_VALUES);
  });

  it('reads `config`: policy, selectors, injected annotations, default templates, an empty `templates`', () => {
    const config = parseInjectorConfig(
      'policy: disabled\nneverInjectSelector:\n- matchExpressions:\n  - {key: openshift.io/build.name, operator: Exists}\n' +
        'injectedAnnotations: {team: a}\ntemplates: {}\ndefaultTemplates: [gateway]\n',
    );
    expect(config).toEqual({
      policy: 'disabled',
      neverInjectSelector: [{ matchExpressions: [{ key: 'openshift.io/build.name', operator: 'Exists' }] }],
      alwaysInjectSelector: [],
      injectedAnnotations: { team: 'a' },
      defaultTemplates: ['gateway'],
    });
  });

  it('refuses a ConfigMap with template bodies, which this injector would not run', () => {
    const error = failure(() =>
      parseInjectorConfig('templates:\n  sidecar: |\n    spec:\n      containers: []\n'),
    );
    expect(isInjectionError(error, 'INJECTION_CONFIG_INVALID')).toBe(true);
    expect(error?.message).toMatch(
      /^config\.templates\.sidecar: custom injection templates are not supported: the sidecar and gateway shapes are built into istiod/,
    );
  });

  it.each([
    [
      'values',
      () => parseInjectionValues('{"global": {"hub": true}}'),
      /values global\.hub: expected a string/,
    ],
    [
      'values',
      () => parseInjectionValues('{"global": {"proxy": {"autoInject": "maybe"}}}'),
      /autoInject: "maybe"/,
    ],
    ['values', () => parseInjectionValues('[1, 2]'), /values: expected a mapping/],
    ['config', () => parseInjectorConfig('policy: sometimes'), /config policy: "sometimes"/],
    [
      'config',
      () => parseInjectorConfig('alwaysInjectSelector:\n- matchExpressions: [{key: a, operator: Near}]'),
      /alwaysInjectSelector\[0\]: "Near"/,
    ],
    ['config', () => parseInjectorConfig('policy: [unclosed'), /config: cannot be parsed/],
  ])('an invalid %s key is refused with the field', (_key, run, message) => {
    const error = failure(run);
    expect(isInjectionError(error, 'INJECTION_CONFIG_INVALID')).toBe(true);
    expect(error?.message).toMatch(message);
  });
});

describe('native sidecars (ENABLE_NATIVE_SIDECARS)', () => {
  const nodes = (...versions: string[]) =>
    versions.map((kubeletVersion, i) => ({ name: `n${i}`, kubeletVersion }));
  it.each([
    ['true', undefined, undefined, true],
    ['false', nodes('v1.36.3'), undefined, false],
    ['auto', undefined, undefined, false],
    ['auto', nodes('v1.33.0', 'v1.36.3'), undefined, true],
    ['auto', nodes('v1.33.0', 'v1.32.9'), undefined, false],
    ['auto', nodes('v1.33.0', 'v1.32.9'), 'n0', true],
    ['auto', nodes('kwok-v0.8.0'), undefined, false],
  ] as const)('mode %s with nodes %j (pod node %s) → %s', (mode, list, node, expected) => {
    expect(detectNativeSidecars(parseNativeSidecarMode(mode), list, node)).toBe(expected);
  });
  it('parses versions and refuses a bad mode', () => {
    expect(kubeletMinorVersion('v1.36.3')).toBe(36);
    expect(kubeletMinorVersion('v1.33.0-kwok')).toBe(33);
    expect(parseNativeSidecarMode(undefined)).toBe('auto');
    expect(failure(() => parseNativeSidecarMode('sometimes'))?.message).toMatch(
      /ENABLE_NATIVE_SIDECARS="sometimes"/,
    );
  });
});
