import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

/** A VirtualService setting `x-test: value` on responses, at the rule and at its destination. */
function withHeaderValue(value: string): unknown {
  const headers = { response: { set: { 'x-test': value } } };
  return {
    hosts: ['reviews'],
    http: [{ headers, route: [{ destination: { host: 'reviews' }, headers }] }],
  };
}

const RULE = 'spec.http[0].headers.response.set["x-test"]';
const DESTINATION = 'spec.http[0].route[0].headers.response.set["x-test"]';

function valid(value: string): ValidationCase {
  return {
    name: `${JSON.stringify(value)} is valid`,
    kind: 'VirtualService',
    spec: withHeaderValue(value),
    expect: [],
  };
}

function invalid(value: string, reason: string): ValidationCase {
  return {
    name: `${JSON.stringify(value)} is invalid (${reason})`,
    kind: 'VirtualService',
    spec: withHeaderValue(value),
    expect: [`E HEADER_INVALID ${RULE}`, `E HEADER_INVALID ${DESTINATION}`],
    messages: [reason],
  };
}

/**
 * Istio: pkg/config/validation `ValidateHTTPHeaderValue` (header_value_validator.go, a port of Envoy's
 * header_parser.cc), applied to rule and destination headers (`validateHTTPRouteDestinations`).
 */
const headerValues: ValidationCase[] = [
  valid(''),
  valid('100%%'),
  valid('prefix %HOSTNAME% suffix'),
  valid('%REQ(x-request-id)%'),
  valid('%DOWNSTREAM_PEER_CERT_V_START(%b %e %H:%M:%S %Y %Z)%'),
  valid('%UPSTREAM_METADATA(["istio", "canonical_service"])%'),
  valid('%lowercase_names_are_not_checked%'),
  invalid('50%', 'un-escaped %'),
  invalid('abc%123', 'un-terminated variable expression'),
  invalid('%START_TIME%%', 'un-escaped %'),
  invalid('%UPSTREAM_METADATA(["istio" x])%', "expecting ',', ']', or whitespace"),
  invalid('%UPSTREAM_METADATA([istio])%', `expecting '"'`),
  invalid('%REQ(a) b%', "expecting '%' or whitespace"),
  {
    name: 'a control character is invalid',
    kind: 'VirtualService',
    spec: withHeaderValue('a\u0001b'),
    expect: [`E HEADER_INVALID ${RULE}`, `E HEADER_INVALID ${DESTINATION}`],
  },
];

describe('header values', () => runCases(headerValues));
