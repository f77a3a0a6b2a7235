import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Issues test certificates from the per-run test CA of a local CT log (scripts/services/test-ca.bash:
 * <ca>/root.pem, int.pem, int.key) with openssl, and submits them with RFC 6962 add-chain /
 * add-pre-chain. A precertificate carries the critical CT poison extension (1.3.6.1.4.1.11129.2.4.3).
 */
export interface IssuedCert {
  /** DER of the leaf (or precertificate). */
  der: Buffer;
  /** DER of the chain above it: intermediate, root. */
  chain: Buffer[];
}

const pemToDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

export function issueCert(caDir: string, dnsName: string, opts: { precert?: boolean; days?: number } = {}): IssuedCert {
  const dir = mkdtempSync(join(tmpdir(), 'ct-leaf-'));
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'leaf.key'),
    '-out',
    join(dir, 'leaf.csr'),
    '-subj',
    `/CN=${dnsName}`,
  );
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=DNS:${dnsName}`,
    ...(opts.precert ? ['1.3.6.1.4.1.11129.2.4.3=critical,DER:0500'] : []),
  ];
  writeFileSync(join(dir, 'leaf.ext'), `${ext.join('\n')}\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    join(dir, 'leaf.csr'),
    '-CA',
    join(caDir, 'int.pem'),
    '-CAkey',
    join(caDir, 'int.key'),
    '-set_serial',
    `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    '-out',
    join(dir, 'leaf.pem'),
    '-days',
    String(opts.days ?? 90),
    '-extfile',
    join(dir, 'leaf.ext'),
  );
  const read = (f: string): Buffer => pemToDer(readFileSync(f, 'utf8'));
  return { der: read(join(dir, 'leaf.pem')), chain: [read(join(caDir, 'int.pem')), read(join(caDir, 'root.pem'))] };
}

/** POSTs add-chain (or add-pre-chain for a precert) to an RFC 6962 submission prefix; returns the SCT JSON. */
export async function submit(submissionUrl: string, cert: IssuedCert, precert = false): Promise<{ timestamp: number; id: string }> {
  const url = `${submissionUrl.replace(/\/+$/, '')}/ct/v1/${precert ? 'add-pre-chain' : 'add-chain'}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chain: [cert.der, ...cert.chain].map((c) => c.toString('base64')) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as { timestamp: number; id: string };
}
