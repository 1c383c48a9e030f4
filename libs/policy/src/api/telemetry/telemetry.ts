import Type, { type Static } from 'typebox';

import { SELECTOR_OR_TARGET_REFS, WorkloadSelector, targetRefFields } from '../common.js';
import { double, duration, enumOf, listOf, mapOf, nullableBool, obj, opt, str } from '../schema-helpers.js';

/** Telemetry (telemetry.istio.io): metrics, tracing and access logging per mesh, namespace or workload. */

export const STANDARD_METRICS = [
  'ALL_METRICS',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES',
  'TCP_RECEIVED_BYTES',
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
] as const;

const WorkloadMode = () => enumOf(['CLIENT_AND_SERVER', 'CLIENT', 'SERVER']);

export const ProviderRef = obj({ name: str('Required.', { minLength: 1 }) });
const providers = () => opt(listOf(ProviderRef, 'Optional.'));

const CustomTag = obj(
  {
    literal: opt(obj({ value: str('The tag value to use.', { minLength: 1 }) })),
    environment: opt(
      obj({
        name: str('Name of the environment variable from which to extract the tag value.', { minLength: 1 }),
        defaultValue: opt(str('Optional.')),
      }),
    ),
    header: opt(
      obj({
        name: str('Name of the header from which to extract the tag value.', { minLength: 1 }),
        defaultValue: opt(str('Optional.')),
      }),
    ),
    formatter: opt(
      obj({
        value: str("The tag value, an Envoy substitution format string (such as '%REQ(x-user)%').", {
          minLength: 1,
        }),
      }),
    ),
  },
  { oneOf: [['literal', 'environment', 'header', 'formatter']] },
);

export const Tracing = obj({
  match: opt(obj({ mode: opt(WorkloadMode()) })),
  providers: providers(),
  randomSamplingPercentage: opt(double(undefined, { minimum: 0, maximum: 100, nullable: true })),
  disableSpanReporting: opt(nullableBool('Controls span reporting.')),
  customTags: opt(mapOf(CustomTag, 'Optional.')),
  useRequestIdForTraceSampling: opt(nullableBool()),
  enableIstioTags: opt(nullableBool()),
});
export type Tracing = Static<typeof Tracing>;

export const MetricsOverrides = obj({
  match: opt(
    obj(
      {
        metric: opt(enumOf([...STANDARD_METRICS], 'One of the well-known Istio Standard Metrics.')),
        customMetric: opt(str('Allows free-form specification of a metric.', { minLength: 1 })),
        mode: opt(WorkloadMode()),
      },
      { oneOf: [['metric', 'customMetric']] },
    ),
  ),
  disabled: opt(nullableBool('Optional.')),
  tagOverrides: opt(
    mapOf(
      obj(
        {
          operation: opt(enumOf(['UPSERT', 'REMOVE'])),
          value: opt(str('Value is only considered if the operation is `UPSERT`.')),
        },
        {
          validations: [
            {
              rule: '((has(self.operation) ? self.operation : "") == "UPSERT") ? (self.value != "") : true',
              message: 'value must be set when operation is UPSERT',
            },
            {
              rule: '((has(self.operation) ? self.operation : "") == "REMOVE") ? !has(self.value) : true',
              message: 'value must not be set when operation is REMOVE',
            },
          ],
        },
      ),
      'Optional.',
    ),
  ),
});
export type MetricsOverrides = Static<typeof MetricsOverrides>;

export const Metrics = obj({
  providers: providers(),
  overrides: opt(listOf(MetricsOverrides, 'Optional.')),
  reportingInterval: opt(duration('Optional.')),
});
export type Metrics = Static<typeof Metrics>;

export const AccessLogging = obj({
  match: opt(obj({ mode: opt(WorkloadMode()) })),
  providers: providers(),
  disabled: opt(nullableBool('Controls logging.')),
  filter: opt(
    obj({
      expression: opt(
        Type.String({
          description: 'CEL expression for selecting when requests/connections should be logged.',
        }),
      ),
    }),
  ),
});
export type AccessLogging = Static<typeof AccessLogging>;

export const TelemetrySpec = obj(
  {
    selector: opt(WorkloadSelector),
    ...targetRefFields,
    tracing: opt(listOf(Tracing, 'Optional.')),
    metrics: opt(listOf(Metrics, 'Optional.')),
    accessLogging: opt(listOf(AccessLogging, 'Optional.')),
  },
  {
    description:
      'Telemetry configuration for workloads. See more details at: https://istio.io/docs/reference/config/telemetry.html',
    validations: [SELECTOR_OR_TARGET_REFS],
  },
);
export type TelemetrySpec = Static<typeof TelemetrySpec>;
