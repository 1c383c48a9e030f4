import { createCsr, createSelfSignedRoot, createIntermediate, generateKeyPair } from './index.js';
const id = 'spiffe://cluster.local/ns/default/sa/foo';
for (const alg of ['ECDSA_P256', 'RSA_2048']) {
  for (const kind of ['self-signed root', 'intermediate']) {
    const root = createSelfSignedRoot({ trustDomain: 'cluster.local', algorithm: alg });
    const ca = kind === 'intermediate' ? createIntermediate({ parent: root, algorithm: alg }) : root;
    const csrs = Array.from({ length: 100 }, () => createCsr({ privateKey: generateKeyPair(alg).privateKeyPem, identity: id }));
    for (let i = 0; i < 300; i++) ca.issueWorkloadCertificate({ csrPem: csrs[i % 100], identity: id });
    const n = alg.startsWith('RSA') ? 3000 : 10000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) ca.issueWorkloadCertificate({ csrPem: csrs[i % 100], identity: id, ttlSeconds: 86400 });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`${alg} ${kind}: ${(n / dt).toFixed(0)} certs/s (${((dt / n) * 1e6).toFixed(0)} us/cert, n=${n})`);
  }
}
