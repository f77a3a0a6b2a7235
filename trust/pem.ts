/**
 * PEM (RFC 7468) for trust/: the first block of any label, as identity.ts reads a Rekor entry's
 * certificate on the hot path (lenient: it only needs the first block), and every CERTIFICATE
 * block of a file, strictly, as the X.509 parser and `inspect cert` read chains. Strict means a
 * boundary line that is almost right (four dashes, a wrong label at END) is an error, never
 * skipped: skipping it would silently drop a certificate from a chain.
 */
export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Label and DER of the first PEM block (base64 decoding skips the line breaks). */
export function firstPemBlock(pem: string): PemBlock | undefined {
  const b = pem.indexOf('-----BEGIN ');
  const le = b < 0 ? -1 : pem.indexOf('-----', b + 11);
  if (le < 0) return undefined;
  const label = pem.slice(b + 11, le);
  const end = pem.indexOf(`-----END ${label}-----`, le + 5);
  if (end < 0) return undefined;
  return { label, der: Buffer.from(pem.slice(le + 5, end), 'base64') };
}

/** Why strict PEM reading failed, with the 1-based line. */
export interface PemProblem {
  line: number;
  reason: string;
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
const B64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
/** A line that tries to be a boundary (dashes and BEGIN/END) without being an exact one. */
const NEAR_BOUNDARY = /-{2,}\s*(BEGIN|END)\b/;

/**
 * Every PEM block in `text`, in order. Text outside blocks is allowed (RFC 7468 section 5.2:
 * explanatory text, as `openssl x509 -text` writes), except lines that look like boundaries.
 */
export function pemBlocks(text: string): PemBlock[] | PemProblem {
  const lines = text.split(/\r?\n/);
  const out: PemBlock[] = [];
  let open: { label: string; line: number; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const begin = BEGIN.exec(line);
    const end = END.exec(line);
    if (open) {
      if (end) {
        if (end[1] !== open.label) return { line: i + 1, reason: `END ${end[1]} closes BEGIN ${open.label}` };
        const body = open.body.join('');
        if (body.length === 0 || body.length % 4 !== 0) return { line: open.line, reason: `${open.label} block is not whole base64` };
        out.push({ label: open.label, der: Buffer.from(body, 'base64') });
        open = undefined;
      } else if (begin || NEAR_BOUNDARY.test(line)) {
        return { line: i + 1, reason: `boundary inside the ${open.label} block opened at line ${open.line}` };
      } else if (line.length > 0 && !line.includes(':')) {
        // RFC 1421 headers (Proc-Type: ...) belong to encrypted keys, never to certificates
        if (!B64_LINE.test(line)) return { line: i + 1, reason: 'not base64' };
        open.body.push(line);
      } else if (line.includes(':')) return { line: i + 1, reason: 'header lines are not allowed in a certificate' };
    } else if (begin) open = { label: begin[1]!, line: i + 1, body: [] };
    else if (end) return { line: i + 1, reason: `END ${end[1]} without BEGIN` };
    else if (NEAR_BOUNDARY.test(line)) return { line: i + 1, reason: 'malformed boundary line' };
  }
  if (open) return { line: open.line, reason: `BEGIN ${open.label} is never closed` };
  return out;
}
