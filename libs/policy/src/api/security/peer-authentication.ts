import { type Static } from 'typebox';

import { WorkloadSelector } from '../common.js';
import { enumOf, mapOf, obj, opt } from '../schema-helpers.js';

/** PeerAuthentication (security.istio.io): the inbound mTLS mode of workloads, optionally per port. */

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;

export const MutualTLS = obj({
  mode: opt(enumOf([...MTLS_MODES], 'Defines the mTLS mode used for peer authentication.')),
});
export type MutualTLS = Static<typeof MutualTLS>;

export const PeerAuthenticationSpec = obj(
  {
    selector: opt(WorkloadSelector),
    mtls: opt(MutualTLS),
    portLevelMtls: opt(
      mapOf(MutualTLS, 'Port specific mutual TLS settings.', {
        minProperties: 1,
        'x-kubernetes-validations': [
          {
            rule: 'self.all(key, 0 < int(key) && int(key) <= 65535)',
            message: 'port must be between 1-65535',
          },
        ],
      }),
    ),
  },
  {
    description:
      'Peer authentication configuration for workloads. See more details at: https://istio.io/docs/reference/config/security/peer_authentication.html',
    validations: [
      {
        rule: 'has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true',
        message: 'portLevelMtls requires selector',
      },
    ],
  },
);
export type PeerAuthenticationSpec = Static<typeof PeerAuthenticationSpec>;
