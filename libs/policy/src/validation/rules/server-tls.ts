import type { ServerTLSSettings } from '../../api/networking/server-tls-settings.js';
import type { FindingCollector } from '../collector.js';
import { field } from '../../field-paths.js';
import { ENVOY_CIPHER_SUITES } from './tls-names.js';

/** Server-side TLS (Gateway servers, Sidecar ingress listeners): Istio's `validateTLSOptions`. */

/** Suites starting with an operator (`-`, `+`, `!`, `[`) are OpenSSL expressions Istio passes through. */
function isIstioCipherSuite(suite: string): boolean {
  return suite === '' || suite === 'ALL' || !/^[A-Za-z0-9]/.test(suite) || ENVOY_CIPHER_SUITES.has(suite);
}

function checkCipherSuites(tls: ServerTLSSettings, path: string, c: FindingCollector): void {
  const suites = tls.cipherSuites ?? [];
  if ((tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') && suites.length === 0) {
    c.warning(
      'TLS_INVALID',
      field(path, 'minProtocolVersion'),
      'TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.',
    );
  }
  const invalid = [...new Set(suites.filter((s) => !isIstioCipherSuite(s)))].sort();
  const duplicates = [
    ...new Set(suites.filter((s, i) => isIstioCipherSuite(s) && suites.indexOf(s) !== i)),
  ].sort();
  if (invalid.length > 0)
    c.warning(
      'TLS_INVALID',
      field(path, 'cipherSuites'),
      `ignoring invalid cipher suites: [${invalid.join(' ')}]`,
    );
  if (duplicates.length > 0)
    c.warning(
      'TLS_INVALID',
      field(path, 'cipherSuites'),
      `ignoring duplicate cipher suites: [${duplicates.join(' ')}]`,
    );
}

export function checkServerTls(tls: ServerTLSSettings, path: string, c: FindingCollector): void {
  checkCipherSuites(tls, path, c);
  // An unset mode is PASSTHROUGH, the enum's zero value.
  const mode = tls.mode ?? 'PASSTHROUGH';
  const credentialNames = tls.credentialNames ?? [];
  const tlsCertificates = tls.tlsCertificates ?? [];
  if (mode === 'ISTIO_MUTUAL') {
    // Istio's own certificates are used; any other certificate source is a contradiction.
    const forbidden: [keyof ServerTLSSettings, string][] = [
      ['serverCertificate', 'server certificate'],
      ['privateKey', 'private key'],
      ['caCertificates', 'CA bundle'],
      ['tlsCertificates', 'tlsCertificates'],
      ['credentialName', 'credentialName'],
      ['credentialNames', 'credentialNames'],
    ];
    for (const [name, what] of forbidden) {
      if (tls[name] !== undefined && tls[name] !== '')
        c.error('TLS_INVALID', field(path, name), `ISTIO_MUTUAL TLS cannot have associated ${what}`);
    }
    return;
  }
  const hasCertificates =
    !!tls.caCrl ||
    !!tls.serverCertificate ||
    !!tls.privateKey ||
    !!tls.caCertificates ||
    tlsCertificates.length > 0 ||
    !!tls.credentialName ||
    credentialNames.length > 0;
  if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && hasCertificates) {
    c.warning('TLS_INVALID', path, `${mode} mode does not use certificates, they will be ignored`);
  }
  const sources = [
    !!tls.serverCertificate && !!tls.privateKey,
    !!tls.credentialName,
    credentialNames.length > 0,
    tlsCertificates.length > 0,
  ];
  if (sources.filter(Boolean).length > 1) {
    c.error(
      'TLS_INVALID',
      path,
      'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified',
    );
  }
  const terminates = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  if (terminates && (!!tls.credentialName || credentialNames.length > 0)) return;
  if (terminates) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !tls.caCertificates)
      c.error('TLS_INVALID', field(path, 'caCertificates'), `${prefix} requires a client CA bundle`);
    const certificates =
      tlsCertificates.length > 0
        ? tlsCertificates
        : [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }];
    for (const certificate of certificates) {
      if (!certificate.serverCertificate)
        c.error('TLS_INVALID', field(path, 'serverCertificate'), `${prefix} requires a server certificate`);
      if (!certificate.privateKey)
        c.error('TLS_INVALID', field(path, 'privateKey'), `${prefix} requires a private key`);
    }
  }
  if (tls.caCrl) {
    if (tls.credentialName)
      c.error(
        'TLS_INVALID',
        field(path, 'caCrl'),
        'CRL is not supported with credentialName. CRL has to be specified in the credential',
      );
    if (mode === 'SIMPLE')
      c.error('TLS_INVALID', field(path, 'caCrl'), 'CRL is not supported with SIMPLE TLS');
  }
}
