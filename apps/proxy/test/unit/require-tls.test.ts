import { readFileSync } from 'node:fs';

import { compiledRouteTable, headerValues, type EnvoyRouteConfiguration } from '@mesh/xds';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { decideRoute } from '../../src/http/route-decision.js';

/**
 * A gateway server's `httpsRedirect` (`require_tls: ALL` on its virtual hosts, istiod's
 * `testdata/gateway/https-simple-mutual-redirect`): plain HTTP gets Envoy's 301 to https with the same
 * Host and path before any route; a request over TLS is routed.
 */

const GOLDEN = new URL(
  '../../../../libs/xds/src/generation/testdata/gateway/https-simple-mutual-redirect.out.yaml',
  import.meta.url,
);
const { routes } = parse(readFileSync(GOLDEN, 'utf8')) as { routes: EnvoyRouteConfiguration[] };
const HTTP_80 = routes.find((r) => r.name === 'http.80');
if (!HTTP_80) throw new Error('no http.80 in the golden file');
const table = compiledRouteTable(HTTP_80);

function request(scheme: string, authority: string, path: string) {
  return headerValues({ ':method': 'GET', ':scheme': scheme, ':authority': authority, ':path': path });
}

describe('require_tls: ALL', () => {
  it.each([
    ['admin.example.com', '/x?y=1', 'https://admin.example.com/x?y=1'],
    ['admin.example.com:8080', '/', 'https://admin.example.com:8080/'],
    ['shop.example.com', '/a', 'https://shop.example.com/a'],
  ])('redirects http://%s%s to %s', (authority, path, location) => {
    expect(decideRoute(table, request('http', authority, path))).toMatchObject({
      kind: 'redirect',
      status: 301,
      location,
    });
  });

  it('routes the same request over TLS', () => {
    expect(decideRoute(table, request('https', 'admin.example.com', '/x'))).toMatchObject({
      kind: 'forward',
    });
  });

  it('leaves a host no server exposes unrouted (404), not redirected', () => {
    expect(decideRoute(table, request('http', 'other.org', '/')).kind).toBe('no-route');
  });
});
