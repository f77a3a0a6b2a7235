/**
 * Fills a real RFC 6962 log (scripts/services/ctlog.sh: ct_server on Trillian) with distinct
 * certificates for the CT bench: one leaf key, a fresh serial and name per certificate, each signed
 * by the log's per-run test intermediate (<ca>/int.pem, int.key) with @peculiar/x509 on WebCrypto
 * (an openssl process per certificate would take minutes) and POSTed to add-chain, many in flight.
 * Trillian drops a leaf it already holds, so every certificate must differ.
 */
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';

export async function ctTreeSize(url: string): Promise<number> {
  const res = await fetch(`${url}ct/v1/get-sth`);
  if (!res.ok) throw new Error(`GET ${url}ct/v1/get-sth: HTTP ${res.status}`);
  return ((await res.json()) as { tree_size: number }).tree_size;
}

const pemDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

/** Adds certificates until the log's signed tree holds at least `want`; returns its size then. */
export async function fillCtLog(url: string, caDir: string, want: number, inFlight = 32, log: (s: string) => void = () => {}): Promise<number> {
  let size = await ctTreeSize(url);
  if (size >= want) return size;
  px.cryptoProvider.set(webcrypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const intPem = readFileSync(join(caDir, 'int.pem'), 'utf8');
  const intCert = new px.X509Certificate(intPem);
  const pkcs8 = createPrivateKey(readFileSync(join(caDir, 'int.key'), 'utf8')).export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const chain = [pemDer(intPem), pemDer(readFileSync(join(caDir, 'root.pem'), 'utf8'))].map((d) => d.toString('base64'));
  const now = Date.now();
  const total = want - size;
  let next = 0;
  let added = 0;
  const one = async (i: number): Promise<void> => {
    const name = `bench-${i}-${randomBytes(4).toString('hex')}.load.test`;
    const cert = await px.X509CertificateGenerator.create({
      serialNumber: `01${randomBytes(12).toString('hex')}`,
      subject: `CN=${name}`,
      issuer: intCert.subjectName,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + 30 * 86_400_000),
      publicKey: leafKeys.publicKey,
      signingKey,
      signingAlgorithm: alg,
      extensions: [
        new px.BasicConstraintsExtension(false, undefined, true),
        new px.KeyUsagesExtension(px.KeyUsageFlags.digitalSignature, true),
        new px.ExtendedKeyUsageExtension([px.ExtendedKeyUsage.serverAuth]),
        new px.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
      ],
    });
    const res = await fetch(`${url}ct/v1/add-chain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chain: [Buffer.from(cert.rawData).toString('base64'), ...chain] }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`add-chain: HTTP ${res.status} ${text.slice(0, 200)}`);
  };
  const worker = async (): Promise<void> => {
    while (next < total) {
      await one(next++);
      if (++added % 5000 === 0) log(`submitted ${added}/${total}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  // The signer integrates the queue in batches: wait until the signed tree covers it.
  for (;;) {
    size = await ctTreeSize(url);
    if (size >= want) return size;
    await new Promise((r) => setTimeout(r, 250));
  }
}
