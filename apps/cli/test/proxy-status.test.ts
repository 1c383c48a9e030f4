import { describe, expect, it } from 'vitest';

import type { DiagnoseInstance } from '../src/diagnose/diagnose-mesh.js';
import { proxyStatus, renderProxyStatus, type SynczProxy } from '../src/diagnose/proxy-status.js';

/** `meshctl proxy-status` from istiod's `/debug/syncz`: names, states, NACK errors, missing sidecars. */

const instance = (name: string, address: string, sidecar = true): DiagnoseInstance => ({
  instance: name,
  workload: name.replace(/-\d+$/, ''),
  namespace: 'default',
  address,
  labels: {},
  serviceAccount: name,
  sidecar,
});
const INSTANCES = [
  instance('backend-0', '127.0.10.2'),
  instance('frontend-0', '127.0.10.1'),
  instance('other-0', '127.0.10.3'),
  instance('outsider-0', '127.0.10.4', false),
];

const synced = { status: 'SYNCED', sent: { version: '3' }, acked: '3' };
const SYNCZ: SynczProxy[] = [
  {
    proxy: 'sidecar~127.0.10.1~frontend-0.default~default.svc.cluster.local',
    types: { CDS: synced, EDS: synced, LDS: synced, RDS: synced },
  },
  {
    proxy: 'sidecar~127.0.10.2~backend-0.default~default.svc.cluster.local',
    types: {
      CDS: synced,
      EDS: synced,
      LDS: {
        status: 'ERROR',
        sent: { version: '4' },
        acked: '3',
        nack: { version: '4', message: 'bad filter' },
      },
      RDS: { status: 'STALE', sent: { version: '4' }, acked: '3' },
    },
  },
];

describe('proxyStatus', () => {
  it('shows every sidecar per type, NACK errors after the table, and sidecars istiod does not see', () => {
    const result = proxyStatus(SYNCZ, INSTANCES);
    expect(result.notSynced).toBe(2);
    expect(renderProxyStatus(result, 'table')).toBe(
      [
        'NAME                CDS           ECDS          EDS           LDS           RDS',
        'backend-0.default   SYNCED        IGNORED       SYNCED        ERROR         STALE',
        'frontend-0.default  SYNCED        IGNORED       SYNCED        SYNCED        SYNCED',
        'other-0.default     DISCONNECTED  DISCONNECTED  DISCONNECTED  DISCONNECTED  DISCONNECTED',
        'ERROR backend-0.default LDS: version 4: bad filter',
      ].join('\n'),
    );
  });

  it('narrows to the instances asked for', () => {
    const frontend = INSTANCES.filter((i) => i.workload === 'frontend');
    const result = proxyStatus(SYNCZ, INSTANCES, frontend);
    expect(result).toMatchObject({
      notSynced: 0,
      proxies: [{ name: 'frontend-0.default', connected: true }],
    });
    expect(JSON.parse(renderProxyStatus(result, 'json')).proxies).toHaveLength(1);
  });
});
