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
/** An SCT as add-chain / add-pre-chain return it (RFC 6962 §4.1). */
export interface Sct {
  sct_version?: number;
  id: string;
  timestamp: number;
  extensions?: string;
  signature: string;
}

export async function submit(submissionUrl: string, cert: IssuedCert, precert = false): Promise<Sct> {
  const url = `${submissionUrl.replace(/\/+$/, '')}/ct/v1/${precert ? 'add-pre-chain' : 'add-chain'}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chain: [cert.der, ...cert.chain].map((c) => c.toString('base64')) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Sct;
}

/** A precertificate issued so that its final certificate can follow (finalCertOf). */
export interface Precert extends IssuedCert {
  dnsName: string;
  csr: string;
  serial: string;
  start: string;
  end: string;
}

/**
 * A precertificate and, after its SCT came back, its final certificate, as a CA issues them: the same
 * key, serial, validity and extensions, the final one without the poison and with the SCT list
 * (`openssl ca` with explicit dates, so both TBS differ only there). Their CT identity (TBS without
 * poison and SCT list, RFC 6962 §3.1) is the same: a watcher must count them as ONE certificate.
 */
export function issuePrecert(caDir: string, dnsName: string, days = 90): Precert {
  const dir = mkdtempSync(join(tmpdir(), 'ct-pre-'));
  const csr = join(dir, 'leaf.csr');
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', csr, '-subj', `/CN=${dnsName}`);
  const t = (d: Date): string => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  const now = Date.now();
  const pre = {
    dnsName,
    csr,
    serial: `${now.toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`.padStart(16, '0'),
    start: t(new Date(now - 60_000)),
    end: t(new Date(now + days * 86_400_000)),
  };
  return { ...pre, der: caSign(caDir, pre, '1.3.6.1.4.1.11129.2.4.3=critical,DER:0500'), chain: chainOf(caDir) };
}

export function finalCertOf(caDir: string, pre: Precert, sct: Sct): IssuedCert {
  const list = sctListOf(sct);
  // SignedCertificateTimestampList: an OCTET STRING holding the TLS-encoded list (RFC 6962 §3.3).
  return { der: caSign(caDir, pre, `1.3.6.1.4.1.11129.2.4.2=DER:04${derLength(list.length)}${list.toString('hex')}`), chain: pre.chain };
}

function caSign(caDir: string, p: Omit<Precert, 'der' | 'chain'>, ctExtension: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'ct-ca-'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), `${p.serial}\n`);
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, 'serial')}`,
      'default_md = sha256',
      'policy = p',
      '[p]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=DNS:${p.dnsName}`,
    ctExtension,
  ];
  writeFileSync(join(dir, 'leaf.ext'), `${ext.join('\n')}\n`);
  const out = join(dir, 'leaf.pem');
  execFileSync(
    'openssl',
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(dir, 'ca.cnf'),
      '-cert',
      join(caDir, 'int.pem'),
      '-keyfile',
      join(caDir, 'int.key'),
      '-in',
      p.csr,
      '-out',
      out,
      '-startdate',
      p.start,
      '-enddate',
      p.end,
      '-extfile',
      join(dir, 'leaf.ext'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return pemToDer(readFileSync(out, 'utf8'));
}

const chainOf = (caDir: string): Buffer[] => [pemToDer(readFileSync(join(caDir, 'int.pem'), 'utf8')), pemToDer(readFileSync(join(caDir, 'root.pem'), 'utf8'))];

/** The TLS encoding of one SCT as add-(pre-)chain returned it, wrapped as a SignedCertificateTimestampList. */
export function sctListOf(sct: Sct): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(sct.timestamp));
  const ext = Buffer.from(sct.extensions ?? '', 'base64');
  const one = Buffer.concat([
    Buffer.from([sct.sct_version ?? 0]),
    Buffer.from(sct.id, 'base64'),
    ts,
    u16(ext.length),
    ext,
    Buffer.from(sct.signature, 'base64'),
  ]);
  const item = Buffer.concat([u16(one.length), one]);
  return Buffer.concat([u16(item.length), item]);
}

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const derLength = (n: number): string =>
  n < 0x80 ? n.toString(16).padStart(2, '0') : n < 0x100 ? `81${n.toString(16).padStart(2, '0')}` : `82${n.toString(16).padStart(4, '0')}`;
