import type { HTTPFaultInjection } from '@mesh/policy';

import { KNOWN_FILTERS } from '../../../envoy/known-filters.js';
import { durationOf, percentPerHundred, percentPerMillion, type Obj } from './envoy-values.js';

/** gRPC status names Istio accepts in `abort.grpcStatus` (`pkg/util/grpc` `SupportedGRPCStatus`). */
const GRPC_STATUS: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

function translateDelay(delay: NonNullable<HTTPFaultInjection['delay']>): Obj | undefined {
  // Exponential delays are not supported by Istio either.
  const fixed = durationOf(delay.fixedDelay);
  if (!fixed) return undefined;
  const percentage = delay.percentage
    ? percentPerMillion(delay.percentage.value)
    : percentPerHundred(delay.percent ?? 0);
  return { fixed_delay: fixed, percentage };
}

function translateAbort(abort: NonNullable<HTTPFaultInjection['abort']>): Obj | undefined {
  const out: Obj = {};
  if (abort.httpStatus !== undefined) out['http_status'] = abort.httpStatus;
  else if (abort.grpcStatus !== undefined && GRPC_STATUS[abort.grpcStatus] !== undefined)
    out['grpc_status'] = GRPC_STATUS[abort.grpcStatus];
  else return undefined; // http2Error is not supported by Istio either.
  if (abort.percentage) out['percentage'] = percentPerMillion(abort.percentage.value);
  return out;
}

/** Istio's `TranslateFault`: the fault filter's per-route `HTTPFault`, or undefined when nothing applies. */
export function faultConfig(fault: HTTPFaultInjection | undefined): Obj | undefined {
  if (!fault) return undefined;
  const delay = fault.delay ? translateDelay(fault.delay) : undefined;
  const abort = fault.abort ? translateAbort(fault.abort) : undefined;
  if (!delay && !abort) return undefined;
  // The per-route config is the filter's own type (Istio's `wellknown.Fault`).
  return { '@type': KNOWN_FILTERS.fault.type, ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}
