import { readFile } from 'node:fs/promises';
import { ChainwatchError, type CommandSpec, EXIT } from '../core/index.js';
import type { Certificate } from './x509.js';

/**
 * `chainwatch inspect cert FILE|-`: the parsed fields of every certificate in a PEM or DER file
 * (or stdin), leaf first as given. Exit 0 when every certificate parsed, 1 when the input is not
 * acceptable (one line naming the X509Error code and the field), 2 usage. The parser loads only
 * when the command runs.
 */
export const inspectCertCommand: CommandSpec = {
  name: 'inspect cert',
  summary: 'Print the parsed fields of an X.509 certificate or chain (PEM or DER; - reads stdin)',
  args: [{ name: 'FILE', description: 'a PEM or DER file with one or more certificates, or - for stdin' }],
  json: true,
  description: 'Exit 0 parsed, 1 malformed (the code names the defect: X509_DER_INVALID, X509_EXTENSION_INVALID, ...). See docs/certificates.md.',
  async run(inv) {
    const path = inv.args[0]!;
    const bytes = path === '-' ? await readAll(inv.io.stdin) : await readInput(path);
    const { parseCertificates } = await import('./x509.js');
    const chain = parseCertificates(bytes);
    if (inv.json) inv.io.out(JSON.stringify({ certificates: chain.map(certificateJson) }));
    else inv.io.out(chain.map((c, i) => formatCertificate(c, i, chain.length)).join('\n\n'));
    return EXIT.ok;
  },
};

/** Everything parsed except the DER itself (its hash is there); the one JSON shape of a certificate. */
export function certificateJson(c: Certificate): Omit<Certificate, 'der'> {
  const { der: _der, ...rest } = c;
  return rest;
}

function formatCertificate(c: Certificate, i: number, n: number): string {
  const rows: [string, string | undefined][] = [
    ['subject', c.subject || '(empty)'],
    ['issuer', c.issuer || '(empty)'],
    ['serial', c.serialNumber],
    ['not before', c.notBefore],
    ['not after', c.notAfter],
    ['DNS names', c.sans.dns.join(', ') || undefined],
    ['IP addresses', c.sans.ip.join(', ') || undefined],
    ['e-mail', c.sans.email.join(', ') || undefined],
    ['URIs', c.sans.uri.join(', ') || undefined],
    ['key usage', c.keyUsages.join(', ') || undefined],
    ['extended key usage', c.extendedKeyUsages.join(', ') || undefined],
    ['CA', c.ca ? `yes${c.pathLength !== undefined ? ` (path length ${c.pathLength})` : ''}` : 'no'],
    ['precertificate', c.precertificate ? 'yes (CT poison)' : undefined],
    ['public key', [c.publicKey.algorithm, c.publicKey.curve, c.publicKey.bits ? `${c.publicKey.bits} bits` : undefined].filter(Boolean).join(' ')],
    ['signature', c.signatureAlgorithm],
    ['SHA-256', c.sha256],
    ['SPKI SHA-256', c.spkiSha256],
    ['CT identity', c.ctTbsSha256],
    ...c.scts.map((s): [string, string] => ['SCT', `log ${s.logId} at ${s.timestamp}`]),
  ];
  const head = n > 1 ? `certificate ${i + 1} of ${n}\n` : '';
  return head + rows.flatMap(([k, v]) => (v === undefined ? [] : [`  ${k.padEnd(20)} ${v}`])).join('\n');
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new InspectError(`cannot read ${path}`, err);
  }
}

/** stdin, bounded: a certificate chain is kilobytes; 16 MiB means the wrong input. */
async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > 16 * 1024 * 1024) throw new InspectError('stdin is larger than 16 MiB', undefined);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** A missing file is a failed check (exit 1), as for verify-bundle's inputs. */
class InspectError extends ChainwatchError<'INPUT_UNREADABLE'> {
  constructor(message: string, cause: unknown) {
    super('INPUT_UNREADABLE', message, { cause });
  }
}
