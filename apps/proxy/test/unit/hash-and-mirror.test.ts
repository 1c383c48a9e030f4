import { compiledRouteTable, headerValues } from '@mesh/xds';
import { describe, expect, it } from 'vitest';

import { hashKeyOf } from '../../src/http/hash-key.js';
import { decideRoute } from '../../src/http/route-decision.js';
import { goldenRouteConfig } from './golden-xds.js';

/** DestinationRule consistentHash keys and VirtualService mirrors, from istiod's generated routes. */

const request = (authority: string, path: string, extra: Record<string, string> = {}) =>
  headerValues({ ':authority': authority, ':path': path, ':method': 'GET', ...extra });

describe('hash keys', () => {
  const policies = [{ connection_properties: { source_ip: true } }, { header: { header_name: 'x-user' } }];

  it('takes the first policy that yields a value', () => {
    expect(hashKeyOf(policies, request('a', '/'), '10.0.0.7')).toBe('10.0.0.7');
    expect(
      hashKeyOf([{ header: { header_name: 'X-User' } }], request('a', '/', { 'x-user': 'ann' }), ''),
    ).toBe('ann');
    expect(hashKeyOf([{ header: { header_name: 'x-user' } }], request('a', '/'), '')).toBeUndefined();
  });

  it('reads cookies and query parameters', () => {
    const cookie = request('a', '/', { cookie: 'theme=dark; cart-session=abc123' });
    expect(hashKeyOf([{ cookie: { name: 'cart-session' } }], cookie, '')).toBe('abc123');
    expect(hashKeyOf([{ query_parameter: { name: 'sid' } }], request('a', '/x?sid=42&y=1'), '')).toBe('42');
  });

  it('reads the hash policies istiod generates for consistentHash', () => {
    const config = goldenRouteConfig('consistent-hash', '8080');
    const headers = request('h', '/?sid=7', { cookie: 'cart-session=s1', 'x-user': 'u' });
    const keys = (config.virtual_hosts ?? []).flatMap((vhost) =>
      (vhost.routes ?? []).map((route) =>
        hashKeyOf((route.route as { hash_policy?: never[] } | undefined)?.hash_policy, headers, '10.1.1.1'),
      ),
    );
    expect(keys).toEqual(expect.arrayContaining(['s1', '10.1.1.1', '7']));
  });
});

describe('mirrors', () => {
  it('a VirtualService mirror becomes a mirror cluster with its percentage', () => {
    const config = goldenRouteConfig('resilience', '9080');
    const mirrored = config.virtual_hosts
      ?.map((vhost) => decideRoute(compiledRouteTable(config), request(vhost.domains[0] ?? '', '/')))
      .find((d) => d.kind === 'forward' && d.mirrors.length > 0);
    expect(mirrored?.kind === 'forward' && mirrored.mirrors[0]).toEqual({
      cluster: 'outbound|9080||ratings-shadow.default.svc.cluster.local',
      fraction: 0.25,
    });
  });
});
