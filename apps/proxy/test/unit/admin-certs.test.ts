import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { envoyProtoIncludeDirs, envoyRoot } from '@mesh/xds';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { certificatesJson } from '../../src/admin/certs.js';
import { IDENTITY, meshRoot, served, T0 } from '../telemetry/certificate-fixtures.js';

/**
 * The admin `/certs` answer is Envoy's: checked against `envoy.admin.v3.Certificates` as Envoy's own
 * `envoy/admin/v3/certs.proto` defines it, in the proto3 JSON Envoy prints (proto field names, 64-bit
 * integers as strings, `Timestamp` as RFC 3339), and it describes the certificate the proxy holds.
 */

/** Envoy's `envoy.admin.v3.Certificates`, loaded from the Envoy API protos the workspace ships. */
function certificatesType(): protobuf.Type {
  envoyRoot(); // registers descriptor.proto, which the protos' annotations import
  const dirs = envoyProtoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dirs.map((d) => join(d, target)).find(existsSync) ?? target;
  root.loadSync('envoy/admin/v3/certs.proto', { keepCase: true });
  root.resolveAll();
  return root.lookupType('envoy.admin.v3.Certificates');
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/;

/** What makes `value` not the proto3 JSON of `type` (field names kept as in the proto). */
function proto3JsonProblems(type: protobuf.Type, value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${path || '(root)'}: expected a ${type.name} object`];
  const problems: string[] = [];
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => f.name in value);
    if (set.length > 1) problems.push(`${path}: more than one of oneof ${oneof.name}`);
  }
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = type.fields[key];
    const at = path ? `${path}.${key}` : key;
    if (!field) problems.push(`${at}: not a field of ${type.name}`);
    else if (field.repeated) {
      if (!Array.isArray(fieldValue)) problems.push(`${at}: expected a list`);
      else fieldValue.forEach((v, i) => problems.push(...valueProblems(field, v, `${at}[${i}]`)));
    } else problems.push(...valueProblems(field, fieldValue, at));
  }
  return problems;
}

function valueProblems(field: protobuf.Field, value: unknown, path: string): string[] {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === '.google.protobuf.Timestamp')
      return typeof value === 'string' && RFC3339.test(value) ? [] : [`${path}: not an RFC 3339 timestamp`];
    return proto3JsonProblems(resolved, value, path);
  }
  if (['uint64', 'fixed64'].includes(field.type))
    return typeof value === 'string' && /^\d+$/.test(value) ? [] : [`${path}: not a uint64 string`];
  if (field.type === 'string') return typeof value === 'string' ? [] : [`${path}: not a string`];
  return [`${path}: type ${field.type} not expected in /certs`];
}

const DAY = 86400;

describe('admin /certs', () => {
  const type = certificatesType();
  const root = meshRoot(3650 * DAY);
  const workload = served(root, DAY);
  const now = new Date(T0.getTime() + 3600_000);
  const answer = certificatesJson(workload, now);

  it("is envoy.admin.v3.Certificates as Envoy's proto defines it, in proto3 JSON", () => {
    expect(proto3JsonProblems(type, answer)).toEqual([]);
    // The check is real: an unknown field, a number where Envoy prints a string, a bad timestamp.
    const leaf = answer.certificates[0]?.cert_chain[0];
    const broken = { certificates: [{ cert_chain: [{ ...leaf, days: 1, days_until_expiration: 0 }] }] };
    expect(proto3JsonProblems(type, broken)).toEqual([
      'certificates[0].cert_chain[0].days_until_expiration: not a uint64 string',
      'certificates[0].cert_chain[0].days: not a field of CertificateDetails',
    ]);
    const noZone = { certificates: [{ ca_cert: [{ valid_from: '2030-01-01 00:00:00' }] }] };
    expect(proto3JsonProblems(type, noZone)).toEqual([
      'certificates[0].ca_cert[0].valid_from: not an RFC 3339 timestamp',
    ]);
  });

  it('describes the workload certificate and the trusted root the proxy holds', () => {
    expect(answer).toEqual({
      certificates: [
        {
          ca_cert: [
            {
              path: '<inline>',
              serial_number: root.certificate.serialNumber,
              subject_alt_names: [],
              days_until_expiration: '3649', // 3650 days from T0, an hour later: 3649 whole days
              valid_from: root.certificate.notBefore.toISOString().replace('.000Z', 'Z'),
              expiration_time: '2039-12-30T00:00:00Z',
            },
          ],
          cert_chain: [
            {
              path: '<inline>',
              serial_number: workload.serialNumber,
              subject_alt_names: [{ uri: IDENTITY }],
              days_until_expiration: '0', // 23 hours left
              valid_from: '2029-12-31T23:59:00Z', // a minute early, for clock skew
              expiration_time: '2030-01-02T00:00:00Z',
            },
          ],
        },
      ],
    });
  });

  it('is empty before the first certificate is issued', () => {
    expect(certificatesJson(undefined, now)).toEqual({ certificates: [] });
  });
});
