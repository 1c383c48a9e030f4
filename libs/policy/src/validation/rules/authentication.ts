import type { PeerAuthenticationSpec } from '../../api/security/peer-authentication.js';
import type { JWTRule, RequestAuthenticationSpec } from '../../api/security/request-authentication.js';
import type { FindingCollector } from '../collector.js';
import { field, item } from '../../field-paths.js';
import { checkPolicyTargets, checkWorkloadSelector } from './common.js';
import { checkDuration } from './primitives.js';

/** PeerAuthentication and RequestAuthentication rules (Istio's `ValidatePeerAuthentication` / `ValidateRequestAuthentication`). */

/**
 * Port-level mTLS only makes sense for selected workloads: ports are workload ports, and a mesh- or
 * namespace-wide policy cannot know them.
 */
export function checkPeerAuthentication(spec: PeerAuthenticationSpec, c: FindingCollector): void {
  const ports = Object.keys(spec.portLevelMtls ?? {});
  const selectorEmpty = Object.keys(spec.selector?.matchLabels ?? {}).length === 0;
  if (selectorEmpty && ports.length > 0) {
    c.error(
      'MTLS_INVALID',
      'spec.portLevelMtls',
      'mesh/namespace peer authentication cannot have port level mTLS',
    );
  }
  for (const port of ports) {
    const number = /^\d+$/.test(port) ? Number(port) : NaN;
    if (!(number >= 1 && number <= 65535))
      c.error('PORT_INVALID', field('spec.portLevelMtls', port), 'port must be in range 1..65535');
  }
  checkWorkloadSelector(spec.selector, 'spec.selector', c);
}

/** Header names Envoy can set from a JWT claim (Istio's strict header name rule). */
const STRICT_HEADER_NAME = /^[-_A-Za-z0-9]+$/;

function checkJwksUri(uri: string): string | undefined {
  try {
    const parsed = new URL(uri);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? undefined
      : `URI scheme "${parsed.protocol.replace(':', '')}" is not supported`;
  } catch {
    return `invalid jwksUri ${JSON.stringify(uri)}`;
  }
}

/** An inline JWKS must be a JSON Web Key Set (`{"keys": [...]}`) or a single JSON Web Key. */
function checkJwks(jwks: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(jwks);
    const isObject = typeof parsed === 'object' && parsed !== null;
    if (
      isObject &&
      (Array.isArray((parsed as { keys?: unknown }).keys) ||
        typeof (parsed as { kty?: unknown }).kty === 'string')
    )
      return undefined;
    return 'jwks parse error: not a JSON Web Key Set';
  } catch (error) {
    return `jwks parse error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function checkJwtRule(rule: JWTRule, path: string, c: FindingCollector): void {
  rule.audiences?.forEach((audience, i) => {
    if (audience === '')
      c.error('JWT_RULE_INVALID', item(field(path, 'audiences'), i), 'audience must be non-empty string');
  });
  const jwksUri = rule.jwksUri ?? rule.jwks_uri ?? '';
  if ((rule.issuer ?? '') === '' && jwksUri === '')
    c.error('JWT_RULE_INVALID', path, 'issuer or jwksUri must be non-empty string');
  if (jwksUri !== '')
    c.check(
      'JWT_RULE_INVALID',
      field(path, rule.jwksUri === undefined ? 'jwks_uri' : 'jwksUri'),
      checkJwksUri(jwksUri),
    );
  if ((rule.jwks ?? '') !== '') c.check('JWT_RULE_INVALID', field(path, 'jwks'), checkJwks(rule.jwks ?? ''));
  rule.fromHeaders?.forEach((header, i) => {
    if (header.name === '')
      c.error(
        'JWT_RULE_INVALID',
        field(item(field(path, 'fromHeaders'), i), 'name'),
        'location header name must be non-empty string',
      );
  });
  rule.fromParams?.forEach((param, i) => {
    if (param === '')
      c.error(
        'JWT_RULE_INVALID',
        item(field(path, 'fromParams'), i),
        'location query must be non-empty string',
      );
  });
  rule.fromCookies?.forEach((cookie, i) => {
    if (cookie === '')
      c.error(
        'JWT_RULE_INVALID',
        item(field(path, 'fromCookies'), i),
        'cookie name must be non-empty string',
      );
  });
  rule.outputClaimToHeaders?.forEach((mapping, i) => {
    const at = item(field(path, 'outputClaimToHeaders'), i);
    if (mapping.claim === '' || mapping.header === '')
      c.error('JWT_RULE_INVALID', at, 'outputClaimToHeaders header and claim value must be non-empty string');
    else if (!STRICT_HEADER_NAME.test(mapping.header))
      c.error(
        'HEADER_INVALID',
        field(at, 'header'),
        `header name ${mapping.header} is not a valid header name`,
      );
  });
  if (rule.timeout !== undefined)
    c.check('DURATION_INVALID', field(path, 'timeout'), checkDuration(rule.timeout));
}

export function checkRequestAuthentication(spec: RequestAuthenticationSpec, c: FindingCollector): void {
  checkPolicyTargets(spec, c);
  spec.jwtRules?.forEach((rule, i) => checkJwtRule(rule, item('spec.jwtRules', i), c));
}
