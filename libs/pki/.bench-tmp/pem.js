import { PkiError } from './errors.js';
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
/** Every PEM block of `text`, in order; throws `PKI_INVALID_PEM` on a block that is not base64. */
export function decodePemBlocks(text) {
    const blocks = [];
    for (const match of text.matchAll(BLOCK)) {
        const label = match[1];
        const body = match[2].replace(/\s+/g, '');
        if (body.length === 0 || body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
            throw new PkiError('PKI_INVALID_PEM', `the ${label} PEM block is not valid base64`);
        }
        blocks.push({ label, der: Buffer.from(body, 'base64') });
    }
    return blocks;
}
/** The DER of every block labelled one of `labels`; throws `PKI_INVALID_PEM` when there is none. */
export function decodePem(text, labels, what) {
    if (typeof text !== 'string') {
        throw new PkiError('PKI_INVALID_PEM', `${what}: expected PEM text, got ${typeof text}`);
    }
    const ders = decodePemBlocks(text)
        .filter((block) => labels.includes(block.label))
        .map((block) => block.der);
    if (ders.length === 0) {
        throw new PkiError('PKI_INVALID_PEM', `${what}: no "-----BEGIN ${labels.join('" or "-----BEGIN ')}-----" PEM block found`);
    }
    return ders;
}
/** The DER of the only block labelled one of `labels`; more than one is an error. */
export function decodeSinglePem(text, labels, what) {
    const ders = decodePem(text, labels, what);
    if (ders.length > 1) {
        throw new PkiError('PKI_INVALID_PEM', `${what}: expected one ${labels[0]} PEM block, found ${ders.length}`);
    }
    return ders[0];
}
/** PEM text for `der`: 64-column base64 lines and a trailing newline (as Go's `pem.Encode` writes). */
export function encodePem(label, der) {
    const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
    let body = '';
    for (let i = 0; i < base64.length; i += 64)
        body += base64.slice(i, i + 64) + '\n';
    return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
export const CERTIFICATE_LABEL = 'CERTIFICATE';
export const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];
/** Splits concatenated certificate PEM into one normalized PEM string per certificate. */
export function splitCertificatePem(text, what = 'certificate PEM') {
    return decodePem(text, [CERTIFICATE_LABEL], what).map((der) => encodePem(CERTIFICATE_LABEL, der));
}
//# sourceMappingURL=pem.js.map