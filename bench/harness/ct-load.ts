/**
 * Backlogs for the CT bench on the real RFC 6962 log (scripts/services/ctlog.sh). Two ways in:
 *   - fillCtLog: the way a CA does it, add-chain through ct_server (chain check, SCT, one Trillian
 *     QueueLeaf each); measured at ~100/s on this machine, so only a sample goes this way;
 *   - queueCtLog: `ctlog.sh fill N` (tools/ct-fill, Go): the same leaves ct_server would build,
 *     queued straight into its Trillian tree with many QueueLeaf calls in flight (the 200k backlog).
 * And rawReader: get-entries with nothing done to the answers, the ceiling any follower of this
 * local log can reach.
 *
 * fillCtLog: fills a real RFC 6962 log (scripts/services/ctlog.sh: ct_server on Trillian) with distinct
 * certificates for the CT bench: one leaf key, a fresh serial and name per certificate, each signed
 * by the log's per-run test intermediate (<ca>/int.pem, int.key) with @peculiar/x509 on WebCrypto
 * (an openssl process per certificate would take minutes) and POSTed to add-chain, many in flight.
 * Trillian drops a leaf it already holds, so every certificate must differ.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata'; // before @peculiar/x509 (tsyringe needs it)
import * as px from '@peculiar/x509';

/**
 * The signed tree size. Retried: after a long fill the pooled keep-alive connection may have been
 * closed by ct_server, and the first request on it fails (EPIPE) before reaching the log.
 */
export async function ctTreeSize(url: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${url}ct/v1/get-sth`);
      if (!res.ok) throw new Error(`GET ${url}ct/v1/get-sth: HTTP ${res.status}`);
      return ((await res.json()) as { tree_size: number }).tree_size;
    } catch (err) {
      if (attempt === 3) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const pemDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

/** Adds certificates until the log's signed tree holds at least `want`; returns its size then. */
export async function fillCtLog(url: string, caDir: string, want: number, inFlight = 32, log: (s: string) => void = () => {}): Promise<number> {
  const size = await ctTreeSize(url);
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
  return waitForTreeSize(url, want);
}

/** Waits until the signed tree holds at least `want` entries (the signer integrates in batches). */
export async function waitForTreeSize(url: string, want: number, timeoutMs = 30 * 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const size = await ctTreeSize(url);
    if (size >= want) return size;
    if (Date.now() > deadline) throw new Error(`the log stayed at ${size} entries, below ${want}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Queues `n` more distinct certificates with `ctlog.sh fill` (tools/ct-fill); returns the signed size. */
export async function queueCtLog(url: string, script: string, n: number): Promise<number> {
  const before = await ctTreeSize(url);
  if (n > 0) execFileSync('bash', [script, 'fill', String(n)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return waitForTreeSize(url, before + n);
}

/**
 * Reads [0, size) with get-entries pages of `batch`, `concurrency` in flight, and does nothing with
 * the answers but read their bodies: entries/s and this process's CPU µs per entry.
 */
export async function rawReader(url: string, size: number, batch: number, concurrency: number): Promise<{ rate: number; cpu: number }> {
  let next = 0;
  const c0 = process.cpuUsage();
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < size) {
      let a = next;
      const b = Math.min(size, a + batch);
      next = b;
      while (a < b) {
        const res = await fetch(`${url}ct/v1/get-entries?start=${a}&end=${b - 1}`);
        if (!res.ok) throw new Error(`get-entries: HTTP ${res.status}`);
        const body = await res.text();
        // Count the page's entries without parsing them (a short page is continued).
        const got = body.split('"leaf_input"').length - 1;
        if (got === 0) throw new Error(`get-entries ${a}..${b - 1}: no entries`);
        a += got;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - start) / 1000;
  const c = process.cpuUsage(c0);
  return { rate: size / secs, cpu: (c.user + c.system) / size };
}
