/**
 * Certificate identity extraction, the walker (trust/identity.ts) against real X.509 parsers in
 * the same run, over real Fulcio leaf certificates (../shared/realdata/x509/fulcio): what the Rekor
 * collector does once per entry. Each library row reads the same fields (validity, first SAN, the
 * Fulcio extensions); @peculiar/x509 is the differential test's reference, @sigstore/core's
 * X509Certificate and node:crypto's X509Certificate (OpenSSL) are the other candidates.
 * Rates are per CPU-second of this single-threaded process (the machine is shared).
 *
 *   npx tsx bench/x509.bench.ts [--seconds 2] [--json]
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { REALDATA } from '../test/helpers/services.js';
import { signerFromCertificateDer, signerFromPem } from '../trust/index.js';
import { referenceSigner } from '../trust/testing/index.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const dir = join(REALDATA, 'x509', 'fulcio');
const pems = readdirSync(dir)
  .filter((f) => f.endsWith('.pem') && !f.includes('chain') && !f.includes('ca-certs'))
  .map((f) => readFileSync(join(dir, f), 'utf8'));
const ders = pems.map((p) => Buffer.from(p.split('-----')[2]!.replace(/\s/g, ''), 'base64'));
const FULCIO = '1.3.6.1.4.1.57264.1.';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
/** Certificates per CPU-second, after a warm-up, cycling over the corpus. */
function rate(fn: (i: number) => unknown, budgetMs = seconds * 1000): number {
  for (let i = 0; i < 200; i++) fn(i);
  let n = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) for (let k = 0; k < 50; k++) fn(n++);
  return (n / (cpuMs() - c0)) * 1000;
}

const at = <T>(xs: T[], i: number): T => xs[i % xs.length]!;
const rows: { name: string; rate: number }[] = [
  { name: 'walker, PEM in (signerFromPem, as the collector calls it)', rate: rate((i) => signerFromPem(at(pems, i))) },
  { name: 'walker, DER in (signerFromCertificateDer)', rate: rate((i) => signerFromCertificateDer(at(ders, i))) },
  {
    name: '@sigstore/core X509Certificate (same fields)',
    rate: rate((i) => {
      const c = SigstoreX509.parse(at(ders, i));
      return [c.notBefore, c.notAfter, c.subjectAltName, c.extensions.filter((e) => e.subs[0]!.toOID().startsWith(FULCIO)).map((e) => e.subs[1]!.value)];
    }),
  },
  {
    name: 'node:crypto X509Certificate (validity + SAN only: no extension access)',
    rate: rate((i) => {
      const c = new NodeX509(at(ders, i));
      return [c.validFrom, c.validTo, c.subjectAltName];
    }),
  },
  { name: '@peculiar/x509 (the differential reference, same Signer)', rate: rate((i) => referenceSigner(at(ders, i)), Math.min(1000, seconds * 1000)) },
];

const walker = rows[1]!.rate;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores visible, shared), Node ${process.version}`;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ corpus: ders.length, machine, rows: rows.map((r) => ({ ...r, walkerSpeedup: walker / r.rate })) }));
} else {
  console.log(`| extraction (${ders.length} real Fulcio certificates, cycled) | certificates per CPU-second | walker (DER) is × faster |`);
  console.log('|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${(walker / r.rate).toFixed(1)} |`);
  console.log(`\n${new Date().toISOString()} — ${machine}`);
}
