import Type, { type Static } from 'typebox';

import { WorkloadSelector } from '../common.js';
import { mapOf, obj, opt } from '../schema-helpers.js';

/**
 * ProxyConfig (networking.istio.io/v1beta1): per-workload settings of the proxy's bootstrap. Not the
 * MeshConfig `defaultConfig` message of `../mesh/proxy-config.ts`: this resource carries only the few
 * fields Istio lets a workload override. The mesh's proxies take their settings from their own flags, so
 * it is validated and stored but not applied (NOT_APPLIED).
 */
export const ProxyConfigSpec = obj(
  {
    selector: opt(WorkloadSelector),
    concurrency: opt(
      Type.Integer({
        format: 'int32',
        minimum: 0,
        nullable: true,
        description: 'The number of worker threads to run.',
      }),
    ),
    environmentVariables: opt(
      mapOf(Type.String({ maxLength: 2048 }), 'Additional environment variables for the proxy.'),
    ),
    image: opt(
      obj({
        imageType: opt(Type.String({ description: 'The image type of the image.' })),
      }),
    ),
  },
  {
    description:
      'Provides configuration for individual workloads. See more details at: https://istio.io/docs/reference/config/networking/proxy-config.html',
  },
);
export type ProxyConfigSpec = Static<typeof ProxyConfigSpec>;
