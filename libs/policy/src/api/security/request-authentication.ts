import Type, { type Static } from 'typebox';

import { SELECTOR_OR_TARGET_REFS, WorkloadSelector, targetRefFields } from '../common.js';
import { bool, duration, enumOf, listOf, obj, opt, str } from '../schema-helpers.js';

/** RequestAuthentication (security.istio.io): which JWTs a workload accepts (an invalid token is a 401). */

const nonEmptyList = (description: string) => opt(listOf(Type.String({ minLength: 1 }), description));
const jwksUri = () =>
  opt(
    str("URL of the provider's public key set to validate signature of the JWT.", {
      minLength: 1,
      maxLength: 2048,
      'x-kubernetes-validations': [
        {
          rule: 'url(self).getScheme() in ["http", "https"]',
          message: 'url must have scheme http:// or https://',
        },
      ],
    }),
  );

export const JWTRule = obj(
  {
    issuer: opt(str('Identifies the issuer that issued the JWT.', { minLength: 1 })),
    audiences: nonEmptyList('The list of JWT audiences that are allowed to access.'),
    jwksUri: jwksUri(),
    jwks_uri: jwksUri(),
    jwks: opt(str('JSON Web Key Set of public keys to validate signature of the JWT.')),
    fromHeaders: opt(
      listOf(
        obj({
          name: str('The HTTP header name.', { minLength: 1 }),
          prefix: opt(str('The prefix that should be stripped before decoding the token.')),
        }),
        'List of header locations from which JWT is expected.',
      ),
    ),
    fromParams: nonEmptyList('List of query parameters from which JWT is expected.'),
    fromCookies: nonEmptyList('List of cookie names from which JWT is expected.'),
    outputPayloadToHeader: opt(
      str(
        'This field specifies the header name to output a successfully verified JWT payload to the backend.',
      ),
    ),
    forwardOriginalToken: opt(
      bool('If set to true, the original token will be kept for the upstream request.'),
    ),
    outputClaimToHeaders: opt(
      listOf(
        obj({
          header: str('The name of the header to be created.', { minLength: 1, pattern: '^[-_A-Za-z0-9]+$' }),
          claim: str('The name of the claim to be copied from.', { minLength: 1 }),
        }),
      ),
    ),
    spaceDelimitedClaims: opt(
      listOf(
        Type.String({ minLength: 1 }),
        'Claims whose string value is a space-delimited list, matched value by value (like `scope`).',
        { maxItems: 64 },
      ),
    ),
    timeout: opt(
      duration('The maximum amount of time that the resolver will spend waiting for the JWKS to be fetched.'),
    ),
    presence: opt(
      enumOf(
        ['OPTIONAL', 'REQUIRED'],
        'Whether this JWT must be present (REQUIRED: a request without it is refused with 401).',
      ),
    ),
  },
  { oneOf: [['jwksUri', 'jwks_uri', 'jwks']] },
);
export type JWTRule = Static<typeof JWTRule>;

export const RequestAuthenticationSpec = obj(
  {
    selector: opt(WorkloadSelector),
    ...targetRefFields,
    jwtRules: opt(
      listOf(JWTRule, "Define the list of JWTs that can be validated at the selected workloads' proxy.", {
        maxItems: 4096,
      }),
    ),
  },
  {
    description:
      'Request authentication configuration for workloads. See more details at: https://istio.io/docs/reference/config/security/request_authentication.html',
    validations: [SELECTOR_OR_TARGET_REFS],
  },
);
export type RequestAuthenticationSpec = Static<typeof RequestAuthenticationSpec>;
