import Type, { type Static } from 'typebox';

import { PORT_RANGE_RULE, int32, listOf, obj, opt, str, stringMap, uint32 } from '../schema-helpers.js';
import { WorkloadEntryTemplate } from './workload-entry.js';

/** WorkloadGroup (networking.istio.io): the template VMs are registered from as WorkloadEntries. */

const nonNegative = (description: string) => int32(description, { minimum: 0 });
const probePort = (description?: string) =>
  uint32(description, { 'x-kubernetes-validations': [PORT_RANGE_RULE] });

export const ReadinessProbe = obj(
  {
    initialDelaySeconds: opt(
      nonNegative('Number of seconds after the container has started before readiness probes are initiated.'),
    ),
    timeoutSeconds: opt(nonNegative('Number of seconds after which the probe times out.')),
    periodSeconds: opt(nonNegative('How often (in seconds) to perform the probe.')),
    successThreshold: opt(
      nonNegative(
        'Minimum consecutive successes for the probe to be considered successful after having failed.',
      ),
    ),
    failureThreshold: opt(
      nonNegative(
        'Minimum consecutive failures for the probe to be considered failed after having succeeded.',
      ),
    ),
    httpGet: opt(
      obj({
        path: opt(str('Path to access on the HTTP server.')),
        port: probePort('Port on which the endpoint lives.'),
        host: opt(str('Host name to connect to, defaults to the pod IP.')),
        scheme: opt(
          str(undefined, {
            'x-kubernetes-validations': [
              { rule: 'self in ["", "HTTP", "HTTPS"]', message: 'scheme must be one of [HTTP, HTTPS]' },
            ],
          }),
        ),
        httpHeaders: opt(
          listOf(obj({ name: opt(str(undefined, { pattern: '^[-_A-Za-z0-9]+$' })), value: opt(str()) })),
        ),
      }),
    ),
    tcpSocket: opt(obj({ host: opt(str()), port: probePort() })),
    exec: opt(obj({ command: listOf(Type.String({ minLength: 1 }), 'Command to run.') })),
    grpc: opt(obj({ port: opt(probePort('Port on which the endpoint lives.')), service: opt(str()) })),
  },
  { oneOf: [['httpGet', 'tcpSocket', 'exec', 'grpc']] },
);
export type ReadinessProbe = Static<typeof ReadinessProbe>;

export const WorkloadGroupSpec = obj(
  {
    metadata: opt(
      obj({
        labels: opt(stringMap(undefined, { maxProperties: 256 })),
        annotations: opt(stringMap(undefined, { maxProperties: 256 })),
      }),
    ),
    template: WorkloadEntryTemplate,
    probe: opt(ReadinessProbe),
  },
  {
    description:
      'Describes a collection of workload instances. See more details at: https://istio.io/docs/reference/config/networking/workload-group.html',
  },
);
export type WorkloadGroupSpec = Static<typeof WorkloadGroupSpec>;
