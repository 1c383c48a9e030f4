import type { Secret } from '../generated/envoy/extensions/transport_sockets/tls/v3/Secret.js';
import { TypeUrl } from '../type-urls.js';
import { checkDataSource } from './common-checks.js';
import { defineResourceType } from './resource-type.js';
import { IssueCollector, type ValidationIssue } from './validation.js';

export type { Secret };

type Obj = Record<string, unknown>;

const SECRET_KINDS = ['tls_certificate', 'session_ticket_keys', 'validation_context', 'generic_secret'];

export const SecretType = defineResourceType<Secret>({
  typeUrl: TypeUrl.Secret,
  sotwFullState: false,
  nameOf: (secret) => secret.name ?? '',
  validate(secret): ValidationIssue[] {
    const at = new IssueCollector();
    at.field('name').requireString(secret.name, 'secret name is required');
    const kinds = SECRET_KINDS.filter((k) => (secret as Obj)[k] != null);
    if (!at.check(kinds.length === 1, `exactly one of ${SECRET_KINDS.join(', ')} is required`))
      return at.issues;
    const cert = secret.tls_certificate as Obj | null | undefined;
    if (cert) {
      checkDataSource(
        at.field('tls_certificate.certificate_chain'),
        cert['certificate_chain'] as Obj | undefined,
      );
      if (cert['private_key_provider'] === undefined) {
        checkDataSource(at.field('tls_certificate.private_key'), cert['private_key'] as Obj | undefined);
      }
    }
    const validation = secret.validation_context as Obj | null | undefined;
    if (validation && validation['trusted_ca'] !== undefined) {
      checkDataSource(at.field('validation_context.trusted_ca'), validation['trusted_ca'] as Obj);
    }
    return at.issues;
  },
});
