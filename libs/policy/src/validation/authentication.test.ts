import { describe } from 'vitest';

import { runCases, type ValidationCase } from '../../test/support/validation-cases.js';

const backend = { matchLabels: { app: 'backend' } };

const peerAuthentications: ValidationCase[] = [
  {
    name: 'mesh-wide STRICT is valid',
    kind: 'PeerAuthentication',
    spec: { mtls: { mode: 'STRICT' } },
    expect: [],
  },
  {
    name: 'workload port-level mTLS is valid',
    kind: 'PeerAuthentication',
    spec: { selector: backend, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
    expect: [],
  },
  {
    name: 'port-level mTLS needs a selector',
    kind: 'PeerAuthentication',
    spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } },
    expect: ['E MTLS_INVALID spec.portLevelMtls'],
  },
  {
    name: 'port-level keys must be ports',
    kind: 'PeerAuthentication',
    spec: { selector: backend, portLevelMtls: { '0': { mode: 'DISABLE' } } },
    expect: ['E PORT_INVALID spec.portLevelMtls["0"]'],
  },
  {
    name: 'a port-level mode is checked under its quoted port key',
    kind: 'PeerAuthentication',
    spec: { selector: backend, portLevelMtls: { '8080': { mode: 'OFF' } } },
    expect: ['E SCHEMA_ENUM spec.portLevelMtls["8080"].mode'],
  },
  {
    name: 'an unknown mode is rejected by the schema',
    kind: 'PeerAuthentication',
    spec: { mtls: { mode: 'MUTUAL' } },
    expect: ['E SCHEMA_ENUM spec.mtls.mode'],
  },
  {
    name: 'an empty portLevelMtls map is rejected by the schema',
    kind: 'PeerAuthentication',
    spec: { selector: backend, portLevelMtls: {} },
    expect: ['E SCHEMA_RANGE spec.portLevelMtls'],
  },
  {
    name: 'UNSET inherits the parent mode',
    kind: 'PeerAuthentication',
    spec: { selector: backend, mtls: { mode: 'UNSET' } },
    expect: [],
  },
  {
    name: 'a misspelt field is reported',
    kind: 'PeerAuthentication',
    spec: { mtls: { mod: 'STRICT' } },
    expect: ['E SCHEMA_UNKNOWN_FIELD spec.mtls.mod'],
  },
];

const requestAuthentications: ValidationCase[] = [
  {
    name: 'a JWT rule with issuer and jwksUri is valid',
    kind: 'RequestAuthentication',
    spec: {
      selector: backend,
      jwtRules: [
        {
          issuer: 'https://accounts.example.com',
          jwksUri: 'https://accounts.example.com/.well-known/jwks.json',
          audiences: ['api'],
        },
      ],
    },
    expect: [],
  },
  {
    name: 'a rule needs an issuer or jwksUri',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ audiences: ['api'] }] },
    expect: ['E JWT_RULE_INVALID spec.jwtRules[0]'],
  },
  {
    name: 'jwksUri must be http or https',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'me', jwksUri: 'ftp://keys.example.com/jwks' }] },
    expect: ['E JWT_RULE_INVALID spec.jwtRules[0].jwksUri'],
  },
  {
    name: 'jwks and jwksUri are exclusive',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'me', jwksUri: 'https://k.example.com/jwks', jwks: '{"keys":[]}' }] },
    expect: ['E ONE_OF spec.jwtRules[0]'],
  },
  {
    name: 'inline jwks must be a key set',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'me', jwks: 'not json' }] },
    expect: ['E JWT_RULE_INVALID spec.jwtRules[0].jwks'],
  },
  {
    name: 'claim header names are restricted',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'me', outputClaimToHeaders: [{ header: 'x user', claim: 'sub' }] }] },
    expect: ['E SCHEMA_RANGE spec.jwtRules[0].outputClaimToHeaders[0].header'],
  },
  {
    name: 'a JWKS fetch timeout must be a duration',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'me', timeout: '5 seconds' }] },
    expect: ['E DURATION_INVALID spec.jwtRules[0].timeout'],
  },
  {
    name: 'an empty audience is rejected by the schema',
    kind: 'RequestAuthentication',
    spec: { jwtRules: [{ issuer: 'me', audiences: [''] }] },
    expect: ['E SCHEMA_RANGE spec.jwtRules[0].audiences[0]'],
  },
];

describe('PeerAuthentication validation', () => runCases(peerAuthentications));
describe('RequestAuthentication validation', () => runCases(requestAuthentications));
