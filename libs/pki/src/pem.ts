import { PkiError } from './errors.js';

/**
 * PEM armour (RFC 7468): callers hand us text files and Kubernetes secrets that concatenate blocks,
 * sometimes with comments or CRLF line ends between them, so decoding is lenient about what lies
 * outside the blocks and strict about what lies inside.
 */
export interface PemBlock {
  label: string;
  der: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const LABEL_CHAR = /[A-Z0-9 ]/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Every PEM block of `text`, in order; throws `PKI_INVALID_PEM` on a block that is not base64 or has no
 * END line. A single forward scan with `indexOf` (no backtracking regular expression): the CA runs this
 * on callers' CSRs on the event loop that serves xDS, so its cost must stay linear in the input
 * whatever the input is. A block's body runs to the next `-----`, which must open its END line.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let at = text.indexOf(BEGIN);
  while (at !== -1) {
    const labelStart = at + BEGIN.length;
    let labelEnd = labelStart;
    while (labelEnd < text.length && LABEL_CHAR.test(text[labelEnd] as string)) labelEnd++;
    // Not a BEGIN line after all (text outside blocks is ignored); labels hold no '-', so resume here.
    if (labelEnd === labelStart || !text.startsWith(DASHES, labelEnd)) {
      at = text.indexOf(BEGIN, labelEnd);
      continue;
    }
    const label = text.slice(labelStart, labelEnd);
    const bodyStart = labelEnd + DASHES.length;
    const bodyEnd = text.indexOf(DASHES, bodyStart);
    const endLine = `${END}${label}${DASHES}`;
    if (bodyEnd === -1 || !text.startsWith(endLine, bodyEnd)) {
      throw new PkiError('PKI_INVALID_PEM', `the ${label} PEM block has no "${endLine}" line`);
    }
    const body = text.slice(bodyStart, bodyEnd).replace(/\s+/g, '');
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
      throw new PkiError('PKI_INVALID_PEM', `the ${label} PEM block is not valid base64`);
    }
    blocks.push({ label, der: Buffer.from(body, 'base64') });
    at = text.indexOf(BEGIN, bodyEnd + endLine.length);
  }
  return blocks;
}

/** The DER of every block labelled one of `labels`; throws `PKI_INVALID_PEM` when there is none. */
export function decodePem(text: string, labels: readonly string[], what: string): Buffer[] {
  if (typeof text !== 'string') {
    throw new PkiError('PKI_INVALID_PEM', `${what}: expected PEM text, got ${typeof text}`);
  }
  const ders = decodePemBlocks(text)
    .filter((block) => labels.includes(block.label))
    .map((block) => block.der);
  if (ders.length === 0) {
    throw new PkiError(
      'PKI_INVALID_PEM',
      `${what}: no "-----BEGIN ${labels.join('" or "-----BEGIN ')}-----" PEM block found`,
    );
  }
  return ders;
}

/** The DER of the only block labelled one of `labels`; more than one is an error. */
export function decodeSinglePem(text: string, labels: readonly string[], what: string): Buffer {
  const ders = decodePem(text, labels, what);
  if (ders.length > 1) {
    throw new PkiError(
      'PKI_INVALID_PEM',
      `${what}: expected one ${labels[0]} PEM block, found ${ders.length}`,
    );
  }
  return ders[0] as Buffer;
}

/** PEM text for `der`: 64-column base64 lines and a trailing newline (as Go's `pem.Encode` writes). */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let body = '';
  for (let i = 0; i < base64.length; i += 64) body += base64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

export const CERTIFICATE_LABEL = 'CERTIFICATE';
export const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'] as const;

/** Splits concatenated certificate PEM into one normalized PEM string per certificate. */
export function splitCertificatePem(text: string, what = 'certificate PEM'): string[] {
  return decodePem(text, [CERTIFICATE_LABEL], what).map((der) => encodePem(CERTIFICATE_LABEL, der));
}
