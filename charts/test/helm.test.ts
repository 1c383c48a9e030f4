import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CHART_NAMES, CHARTS, helm, PROFILES, render, renderError } from './helm.js';

describe.each(CHART_NAMES)('charts/%s', (chart) => {
  it.each(PROFILES)('passes helm lint and renders with profile %s', (profile) => {
    const output = helm(['lint', join(CHARTS, chart), '--set', `profile=${profile}`]);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(output).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(render(chart, ['--set', `profile=${profile}`]).length).toBeGreaterThan(0);
  });

  it('refuses an unknown profile by name, listing the known ones', () => {
    expect(renderError(chart, ['--set', 'profile=tiny'])).toContain(
      'unknown profile "tiny": the profiles are default, demo, minimal, remote and empty',
    );
  });

  it('shares the profiles and the values merge with the other charts, byte for byte (Istio copies them the same way)', () => {
    const read = (c: string, file: string) => readFileSync(join(CHARTS, c, file), 'utf8');
    for (const file of [
      ...PROFILES.map((p) => `files/profile-${p}.yaml`),
      'templates/zzz_profile.yaml',
      'templates/_merge.tpl',
    ]) {
      expect(read(chart, file), `${chart}/${file}`).toBe(read('istiod', file));
    }
  });
});

describe('the values merge (templates/_merge.tpl)', () => {
  it('lets a user value of false or "" override a default of true or a string', () => {
    const objects = render('istiod', ['--set', 'global.configValidation=false', '--set', 'global.hub=']);
    expect(objects.some((o) => o.kind === 'ValidatingWebhookConfiguration')).toBe(false);
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('/pilot:0.1.0');
  });

  it('puts the profile between the chart defaults and the user values', () => {
    const requests = (args: string[]) =>
      (
        render('istiod', args).find((o) => o.kind === 'Deployment') as unknown as {
          spec: { template: { spec: { containers: { resources: { requests: Record<string, string> } }[] } } };
        }
      ).spec.template.spec.containers[0]!.resources.requests;
    expect(requests([])).toEqual({ cpu: '500m', memory: '2048Mi' });
    expect(requests(['--set', 'profile=demo'])).toEqual({ cpu: '10m', memory: '100Mi' });
    expect(requests(['--set', 'profile=demo', '--set', 'pilot.resources.requests.cpu=250m'])).toEqual({
      cpu: '250m',
      memory: '100Mi',
    });
  });
});
