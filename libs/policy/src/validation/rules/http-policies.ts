import type {
  CorsPolicy,
  HTTPDirectResponse,
  HTTPFaultInjection,
  HTTPRedirect,
  HTTPRetry,
  HTTPRewrite,
} from '../../api/networking/http-route.js';
import type { FindingCollector } from '../collector.js';
import { field, item, nested } from '../../field-paths.js';
import { GRPC_STATUS_NAMES, HTTP_STATUS_CODES, RETRY_ON_POLICIES } from './http-constants.js';
import { checkDuration, checkPercentage, checkPort, checkRegex, isWholeSeconds } from './primitives.js';

/** The policies an HTTP rule can carry: CORS, fault injection, redirect, direct response, retries, rewrite. */

const CORS_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  '*',
]);
const CORS_HEADER = /^(\*|[!#$%&'*+\-.^_`|~A-Za-z0-9]+)$/;

export function checkCors(cors: CorsPolicy, path: string, c: FindingCollector): void {
  cors.allowOrigins?.forEach((origin, i) => {
    const at = item(field(path, 'allowOrigins'), i);
    const value = origin.exact ?? origin.prefix ?? origin.regex;
    if (value === undefined || value === '')
      c.error('HTTP_POLICY_INVALID', at, `'${value ?? ''}' is not a valid match type for CORS allow origins`);
    else if (origin.regex !== undefined)
      c.check('REGEX_INVALID', field(at, 'regex'), checkRegex(origin.regex));
  });
  cors.allowMethods?.forEach((method, i) => {
    if (!CORS_METHODS.has(method))
      c.error(
        'HTTP_POLICY_INVALID',
        item(field(path, 'allowMethods'), i),
        `"${method}" is not a supported HTTP method`,
      );
  });
  for (const list of ['allowHeaders', 'exposeHeaders'] as const) {
    cors[list]?.forEach((name, i) => {
      if (!CORS_HEADER.test(name))
        c.error(
          'HEADER_INVALID',
          item(field(path, list), i),
          `header name ${JSON.stringify(name)} is not a valid header name`,
        );
    });
  }
  if (cors.maxAge !== undefined) {
    const problem =
      checkDuration(cors.maxAge) ??
      (isWholeSeconds(cors.maxAge) ? undefined : 'max_age duration is accurate only to seconds precision');
    c.check('DURATION_INVALID', field(path, 'maxAge'), problem);
  }
}

export function checkFault(fault: HTTPFaultInjection, path: string, c: FindingCollector): void {
  if (fault.abort === undefined && fault.delay === undefined) {
    c.error('HTTP_POLICY_INVALID', path, 'HTTP fault injection must have an abort and/or a delay');
  }
  const { abort, delay } = fault;
  if (abort !== undefined) {
    const at = field(path, 'abort');
    if (abort.percentage?.value !== undefined)
      c.check('PERCENT_INVALID', nested(at, 'percentage.value'), checkPercentage(abort.percentage.value));
    if (abort.grpcStatus !== undefined) {
      if (!GRPC_STATUS_NAMES.has(abort.grpcStatus))
        c.error(
          'HTTP_POLICY_INVALID',
          field(at, 'grpcStatus'),
          `gRPC status "${abort.grpcStatus}" is not supported, for example use NOT_FOUND`,
        );
    } else if (abort.http2Error !== undefined) {
      c.error(
        'HTTP_POLICY_INVALID',
        field(at, 'http2Error'),
        'HTTP/2 abort fault injection not supported yet',
      );
    } else if (abort.httpStatus !== undefined) {
      if (abort.httpStatus < 200 || abort.httpStatus > 600)
        c.error(
          'HTTP_POLICY_INVALID',
          field(at, 'httpStatus'),
          `HTTP status ${abort.httpStatus} is not in range 200-599`,
        );
    } else {
      c.warning('HTTP_POLICY_INVALID', at, 'abort configured, but error type not set');
    }
  }
  if (delay !== undefined) {
    const at = field(path, 'delay');
    if (delay.percentage?.value !== undefined)
      c.check('PERCENT_INVALID', nested(at, 'percentage.value'), checkPercentage(delay.percentage.value));
    if (delay.fixedDelay !== undefined)
      c.check('DURATION_INVALID', field(at, 'fixedDelay'), checkDuration(delay.fixedDelay));
    if (delay.exponentialDelay !== undefined)
      c.error('HTTP_POLICY_INVALID', field(at, 'exponentialDelay'), 'exponentialDelay not supported yet');
  }
}

export function checkRedirect(redirect: HTTPRedirect, path: string, c: FindingCollector): void {
  const { uri, prefixRewrite, authority, port, derivePort, scheme, redirectCode } = redirect;
  if (!uri && !prefixRewrite && !authority && port === undefined && derivePort === undefined && !scheme) {
    c.error(
      'HTTP_POLICY_INVALID',
      path,
      'redirect must specify URI, prefixRewrite, authority, scheme, or port',
    );
  }
  if (redirectCode !== undefined && redirectCode !== 0 && (redirectCode < 300 || redirectCode > 399)) {
    c.error(
      'HTTP_POLICY_INVALID',
      field(path, 'redirectCode'),
      `${redirectCode} is not a valid redirect code, must be 3xx`,
    );
  }
  if (scheme && scheme !== 'http' && scheme !== 'https')
    c.error(
      'HTTP_POLICY_INVALID',
      field(path, 'scheme'),
      'invalid redirect scheme, must be "http" or "https"',
    );
  if (port !== undefined && port > 0) c.check('PORT_INVALID', field(path, 'port'), checkPort(port));
}

const KB = 1024;
/** Standard, padded base64: what Kubernetes accepts for the CRD's `format: byte`. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function checkDirectResponse(response: HTTPDirectResponse, path: string, c: FindingCollector): void {
  const body = response.body;
  if (body?.bytes !== undefined && !BASE64.test(body.bytes))
    c.error('HTTP_POLICY_INVALID', nested(path, 'body.bytes'), 'bytes must be base64 encoded');
  // `bytes` is base64: its decoded size is three quarters of the text.
  const size = body?.string?.length ?? Math.floor(((body?.bytes?.length ?? 0) * 3) / 4);
  if (size > KB * KB)
    c.error(
      'HTTP_POLICY_INVALID',
      field(path, 'body'),
      'large direct_responses may impact control plane performance, must be less than 1MB',
    );
  else if (size > 100 * KB)
    c.warning(
      'HTTP_POLICY_INVALID',
      field(path, 'body'),
      'large direct_responses may impact control plane performance',
    );
  if (response.status < 200 || response.status > 600) {
    c.error(
      'HTTP_POLICY_INVALID',
      field(path, 'status'),
      `HTTP status ${response.status} is not in range 200-599`,
    );
  }
}

export function checkRetries(retries: HTTPRetry, path: string, c: FindingCollector): void {
  const attempts = retries.attempts ?? 0;
  if (attempts < 0) c.error('HTTP_POLICY_INVALID', field(path, 'attempts'), 'attempts cannot be negative');
  if (
    attempts === 0 &&
    (retries.perTryTimeout !== undefined ||
      (retries.retryOn ?? '') !== '' ||
      retries.retryRemoteLocalities !== undefined)
  ) {
    c.error(
      'HTTP_POLICY_INVALID',
      path,
      'http retry policy configured when attempts are set to 0 (disabled)',
    );
  }
  if (retries.perTryTimeout !== undefined)
    c.check('DURATION_INVALID', field(path, 'perTryTimeout'), checkDuration(retries.perTryTimeout));
  if (retries.retryOn !== undefined && retries.retryOn !== '') {
    for (const policy of retries.retryOn.split(',')) {
      if (!RETRY_ON_POLICIES.has(policy) && !HTTP_STATUS_CODES.has(policy)) {
        c.error('HTTP_POLICY_INVALID', field(path, 'retryOn'), `"${policy}" is not a valid retryOn policy`);
      }
    }
  }
  if (retries.backoff !== undefined)
    c.check('DURATION_INVALID', field(path, 'backoff'), checkDuration(retries.backoff));
}

export function checkRewrite(rewrite: HTTPRewrite, path: string, c: FindingCollector): void {
  const regexRewrite = rewrite.uriRegexRewrite;
  if (rewrite.uri && regexRewrite !== undefined)
    c.error('HTTP_POLICY_INVALID', path, 'rewrite may only contain one of URI or UriRegexRewrite');
  if (!rewrite.uri && regexRewrite === undefined && !rewrite.authority) {
    c.error(
      'HTTP_POLICY_INVALID',
      path,
      'rewrite must specify at least one of URI, UriRegexRewrite, or authority',
    );
  }
  if (regexRewrite === undefined) return;
  const at = field(path, 'uriRegexRewrite');
  if (!regexRewrite.match || !regexRewrite.rewrite)
    c.error(
      'HTTP_POLICY_INVALID',
      at,
      'UriRegexRewrite requires both Rewrite and Match fields to be specified',
    );
  else c.check('REGEX_INVALID', field(at, 'match'), checkRegex(regexRewrite.match));
}
