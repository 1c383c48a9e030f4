import { readFileSync } from 'node:fs';

import { TypeUrl, type ResourceUpdate } from '@mesh/xds';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { proxyCapabilityErrors } from '../../src/xds/proxy-capabilities.js';
import { goldenCases } from './golden-xds.js';

/**
 * What mesh-proxy in router mode says of istiod's gateway output (`testdata/gateway/<case>.out.yaml`):
 * the listeners and routes it accepts, so a gateway is never left without config by a NACK.
 */

const TESTDATA = new URL('../../../../libs/xds/src/generation/testdata/gateway/', import.meta.url);

interface GatewayGolden {
  listeners: { name: string }[];
  routes: { name: string }[];
}

function golden(testCase: string): GatewayGolden {
  return parse(readFileSync(new URL(`${testCase}.out.yaml`, TESTDATA), 'utf8')) as GatewayGolden;
}

function update(typeUrl: string, resources: readonly { name: string }[]): ResourceUpdate {
  return {
    typeUrl,
    version: '1',
    updated: resources.map((resource) => ({ name: resource.name, version: '1', resource })),
    removed: [],
  };
}

describe("proxyCapabilityErrors on istiod's gateway output", () => {
  it.each(goldenCases('gateway'))('accepts the listeners and routes of %s', (testCase) => {
    const { listeners, routes } = golden(testCase);
    expect(listeners.length).toBeGreaterThan(0);
    expect(proxyCapabilityErrors(update(TypeUrl.Listener, listeners))).toEqual([]);
    expect(proxyCapabilityErrors(update(TypeUrl.RouteConfiguration, routes))).toEqual([]);
  });
});
