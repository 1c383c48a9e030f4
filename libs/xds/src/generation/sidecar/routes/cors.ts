import type { CorsPolicy } from '@mesh/policy';

import { durationOf, type Obj } from './envoy-values.js';
import { stringMatcher } from './route-match.js';

/** The CORS filter's per-route config type (Envoy v3 per-route CORS). */
const CORS_POLICY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

/**
 * Istio's `TranslateCORSPolicy` (`pilot/pkg/networking/core/route/route.go`): the CORS filter's
 * per-route `CorsPolicy`. `allowOrigins` (StringMatch) wins over the deprecated `allowOrigin` (exact
 * strings); lists are joined with `,`; `maxAge` is whole seconds; the filter is enabled for 100% of
 * requests; preflights that match no origin are forwarded upstream unless `unmatchedPreflights: IGNORE`
 * (Envoy's pre-1.30 behaviour, which Istio keeps by default).
 */
export function corsConfig(cors: CorsPolicy | undefined): Obj | undefined {
  if (!cors) return undefined;
  const out: Obj = { '@type': CORS_POLICY_TYPE };
  const origins = cors.allowOrigins
    ? cors.allowOrigins.flatMap((match) => {
        const matcher = stringMatcher(match);
        return matcher ? [matcher] : [];
      })
    : cors.allowOrigin?.map((origin) => ({ exact: origin }));
  if (origins && origins.length > 0) out['allow_origin_string_match'] = origins;
  const join = (list: string[] | undefined): string | undefined =>
    list && list.length > 0 ? list.join(',') : undefined;
  const methods = join(cors.allowMethods);
  const headers = join(cors.allowHeaders);
  const expose = join(cors.exposeHeaders);
  if (methods) out['allow_methods'] = methods;
  if (headers) out['allow_headers'] = headers;
  if (expose) out['expose_headers'] = expose;
  const maxAge = durationOf(cors.maxAge);
  if (maxAge) out['max_age'] = String(maxAge['seconds']);
  if (typeof cors.allowCredentials === 'boolean') out['allow_credentials'] = { value: cors.allowCredentials };
  out['filter_enabled'] = { default_value: { numerator: 100, denominator: 'HUNDRED' } };
  out['forward_not_matching_preflights'] = { value: cors.unmatchedPreflights !== 'IGNORE' };
  return out;
}
