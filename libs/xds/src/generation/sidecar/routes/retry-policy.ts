import type { HTTPRetry } from '@mesh/policy';

import { durationOf, type Obj } from './envoy-values.js';

/** Istio's retry policies (`pilot/pkg/networking/core/route/retry`). */
const RETRY_PREVIOUS_HOSTS: Obj = {
  name: 'envoy.retry_host_predicates.previous_hosts',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
  },
};

const RETRY_PREVIOUS_PRIORITIES: Obj = {
  name: 'envoy.retry_priorities.previous_priorities',
  typed_config: {
    '@type':
      'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
    update_frequency: 2,
  },
};

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** Status codes Go's `http.StatusText` knows: only these in `retryOn` are read as status codes. */
const KNOWN_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/**
 * Istio's default policy: 2 retries on connection-level failures and 503, five host selection attempts,
 * and (unless the route hashes consistently, which must stick to one host) avoiding hosts already tried.
 */
function defaultPolicy(consistentHash: boolean): Obj {
  const policy: Obj = {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: { value: 2 },
    retriable_status_codes: [503],
    host_selection_retry_max_attempts: 5,
  };
  if (!consistentHash) policy['retry_host_predicate'] = [RETRY_PREVIOUS_HOSTS];
  return policy;
}

/** Splits `retryOn` into Envoy conditions and the status codes among them. */
function parseRetryOn(retryOn: string): { conditions: string; codes: number[] } {
  const conditions: string[] = [];
  const codes: number[] = [];
  for (const raw of retryOn.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const code = /^[+-]?\d+$/.test(part) ? Number(part) : NaN;
    if (KNOWN_STATUS_CODES.has(code)) codes.push(code);
    else conditions.push(part);
  }
  return { conditions: conditions.join(','), codes };
}

/**
 * Istio's `ConvertPolicy`: the default policy when none is given, no policy when `attempts` is 0 (which
 * explicitly disables retries), otherwise the default with the given fields overriding it.
 */
export function retryPolicy(retries: HTTPRetry | undefined, consistentHash: boolean): Obj | undefined {
  const out = defaultPolicy(consistentHash);
  if (!retries) return out;
  if ((retries.attempts ?? 0) <= 0) return undefined;
  out['num_retries'] = { value: retries.attempts };
  if (retries.retryOn) {
    const { conditions, codes } = parseRetryOn(retries.retryOn);
    out['retry_on'] =
      codes.length > 0 && !conditions.includes('retriable-status-codes')
        ? [conditions, 'retriable-status-codes'].filter((s) => s !== '').join(',')
        : conditions;
    if (codes.length > 0) out['retriable_status_codes'] = codes;
    else delete out['retriable_status_codes'];
  }
  const perTry = durationOf(retries.perTryTimeout);
  if (perTry) out['per_try_timeout'] = perTry;
  if (retries.retryIgnorePreviousHosts !== undefined && retries.retryIgnorePreviousHosts !== null) {
    if (retries.retryIgnorePreviousHosts) out['retry_host_predicate'] = [RETRY_PREVIOUS_HOSTS];
    else delete out['retry_host_predicate'];
  }
  if (retries.retryRemoteLocalities) out['retry_priority'] = RETRY_PREVIOUS_PRIORITIES;
  const backoff = durationOf(retries.backoff);
  if (backoff) out['retry_back_off'] = { base_interval: backoff };
  return out;
}
