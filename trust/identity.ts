import { hash, X509Certificate } from 'node:crypto';
import type { SignerIdentity as Signer } from '../core/events/types/rekor.js';

/**
 * Signer identity from the PEM an entry carries: a Fulcio (or any X.509) certificate gives its
 * SHA-256 fingerprint, SAN, validity and every 1.3.6.1.4.1.57264.1.* extension (OIDC issuer,
 * GitHub workflow claims); a bare public key gives its SPKI fingerprint. node:crypto parses the
 * certificate; a tiny DER walker reads the extensions it does not expose.
 */
const FULCIO_ARC = '1.3.6.1.4.1.57264.1.';
const OID_ISSUER_V2 = `${FULCIO_ARC}8`;
const OID_ISSUER_V1 = `${FULCIO_ARC}1`;

export function signerFromPem(pemOrB64: string): Signer {
  const pem = pemOrB64.includes('-----BEGIN') ? pemOrB64 : Buffer.from(pemOrB64, 'base64').toString('utf8');
  const block = pemBlock(pem);
  if (!block) return { kind: 'unknown', extensions: {} };
  const der = block[2];
  try {
    if (block[1] === 'CERTIFICATE') return signerFromCertificateDer(der);
    if (block[1] === 'PUBLIC KEY') {
      // The PEM body IS the SPKI DER: fingerprint it without building a key object (hot path).
      const t = readTlv(der, 0, der.length);
      if (t.tag !== 0x30 || t.end !== der.length) return { kind: 'unknown', extensions: {} };
      return { kind: 'publicKey', fingerprintSha256: sha256hex(der), extensions: {} };
    }
  } catch {
    // fall through: not DER
  }
  return { kind: 'unknown', extensions: {} };
}

/**
 * Certificate identity by walking the DER once (node's X509Certificate costs as much as the SET
 * check on the hot path). Falls back to X509Certificate for anything the walker does not take.
 */
export function signerFromCertificateDer(der: Buffer): Signer {
  const walked = walkCertificate(der);
  if (!walked) return signerFromCertificate(new X509Certificate(der));
  const { extensions, san, notBefore, notAfter } = walked;
  const signer: Signer = { kind: 'certificate', fingerprintSha256: sha256hex(der), extensions };
  if (notBefore) signer.notBefore = notBefore;
  if (notAfter) signer.notAfter = notAfter;
  return withClaims(signer, san);
}

export function signerFromCertificate(cert: X509Certificate): Signer {
  const extensions = fulcioExtensions(cert.raw);
  const signer: Signer = {
    kind: 'certificate',
    fingerprintSha256: sha256hex(cert.raw),
    extensions,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
  return withClaims(signer, firstSan(cert.subjectAltName));
}

/** SAN, OIDC issuer (Fulcio v2 OID, else v1) and GitHub workflow claims, where present. */
function withClaims(signer: Signer, san: string | undefined): Signer {
  if (san !== undefined) signer.san = san;
  const issuer = signer.extensions[OID_ISSUER_V2] ?? signer.extensions[OID_ISSUER_V1];
  if (issuer !== undefined) signer.issuer = issuer;
  const gh = githubClaims(signer.extensions);
  if (gh) signer.github = gh;
  return signer;
}

/** [_, label, DER] of the first PEM block (base64 decoding skips the line breaks). */
function pemBlock(pem: string): [string, string, Buffer] | undefined {
  const b = pem.indexOf('-----BEGIN ');
  const le = b < 0 ? -1 : pem.indexOf('-----', b + 11);
  if (le < 0) return undefined;
  const label = pem.slice(b + 11, le);
  const end = pem.indexOf(`-----END ${label}-----`, le + 5);
  if (end < 0) return undefined;
  return ['', label, Buffer.from(pem.slice(le + 5, end), 'base64')];
}

function firstSan(san: string | undefined): string | undefined {
  if (!san) return undefined;
  const m = /(?:email|URI):([^,]+)/.exec(san);
  return m ? m[1]!.trim() : undefined;
}

/** Fulcio claims: the v2 OIDs (.9–.22) win over the deprecated v1 ones (.2–.6). Full OID strings, built once. */
const GITHUB_CLAIMS: [keyof NonNullable<Signer['github']>, string[]][] = (
  [
    ['workflowRef', [9, 18]],
    ['repository', [12, 5]],
    ['ref', [14, 6]],
    ['sha', [13, 3]],
    ['trigger', [20, 2]],
    ['workflowName', [4]],
    ['runnerEnvironment', [11]],
    ['runInvocationUri', [21]],
  ] as [keyof NonNullable<Signer['github']>, number[]][]
).map(([name, arcs]) => [name, arcs.map((n) => FULCIO_ARC + n)]);
function githubClaims(ext: Record<string, string>): Signer['github'] {
  let out: NonNullable<Signer['github']> | undefined;
  for (const [name, oids] of GITHUB_CLAIMS) {
    for (const oid of oids) {
      const v = ext[oid];
      if (v !== undefined) {
        (out ??= {})[name] = v;
        break;
      }
    }
  }
  return out;
}

/** One-shot SHA-256 to hex: no Hash object and no intermediate Buffer (hot path: one or two per entry). */
function sha256hex(b: Uint8Array): string {
  return hash('sha256', b, 'hex');
}

// --- minimal DER walker -----------------------------------------------------------------------

interface Tlv {
  tag: number;
  start: number; // of contents
  end: number;
}

function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('DER truncated');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw new Error('DER bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new Error('DER truncated');
  return { tag, start: p, end: p + len };
}

function decodeOid(b: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** DER bodies of 1.3.6.1.4.1.57264.1 (prefix of every Fulcio OID) and 2.5.29.17 (SAN). */
const FULCIO_PREFIX = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01]);
const SAN_DER = Buffer.from([0x55, 0x1d, 0x11]);

/** "1.3.6.1.4.1.57264.1.<n>[.…]" from the bytes after the Fulcio prefix. */
function fulcioOid(der: Uint8Array, t: Tlv): string {
  const at = t.start + FULCIO_PREFIX.length;
  if (t.end === at + 1 && der[at]! < 0x80) return FULCIO_OIDS[der[at]!]!; // the common case: .1 … .127
  return FULCIO_ARC + decodeOid(Uint8Array.of(0x28, ...der.subarray(at, t.end))).slice(4);
}
const FULCIO_OIDS = Array.from({ length: 128 }, (_, i) => FULCIO_ARC + i);

/** Classifies an OID by its bytes, so that only the few OIDs we read are decoded (no subarray per OID). */
function oidKind(der: Uint8Array, t: Tlv): 'fulcio' | 'san' | 'other' {
  const len = t.end - t.start;
  if (len > FULCIO_PREFIX.length && bytesAt(der, t.start, FULCIO_PREFIX)) return 'fulcio';
  if (len === 3 && bytesAt(der, t.start, SAN_DER)) return 'san';
  return 'other';
}
function bytesAt(der: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (der[at + i] !== want[i]) return false;
  return true;
}

/** Fulcio extensions, first SAN (email or URI) and validity; undefined when the DER is not a certificate. */
function walkCertificate(bytes: Uint8Array): { extensions: Record<string, string>; san?: string; notBefore?: string; notAfter?: string } | undefined {
  const der = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    const cert = readTlv(der, 0, der.length);
    const tbs = readTlv(der, cert.start, cert.end);
    if (cert.tag !== 0x30 || tbs.tag !== 0x30) return undefined;
    const out: { extensions: Record<string, string>; san?: string; notBefore?: string; notAfter?: string } = { extensions: {} };
    // TBSCertificate: [0] version?, serial, signature, issuer, validity, subject, spki, [1]?, [2]?, [3] extensions
    let field = 0;
    for (let p = tbs.start; p < tbs.end;) {
      const f = readTlv(der, p, tbs.end);
      p = f.end;
      if (field === 0 && f.tag === 0xa0) continue; // version does not count
      field++;
      if (field === 4 && f.tag === 0x30) {
        const nb = readTlv(der, f.start, f.end);
        const na = readTlv(der, nb.end, f.end);
        const t1 = derTime(der, nb);
        const t2 = derTime(der, na);
        if (t1) out.notBefore = t1;
        if (t2) out.notAfter = t2;
      } else if (f.tag === 0xa3) readExtensions(der, readTlv(der, f.start, f.end), out);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtensions(der: Buffer, seq: Tlv, out: { extensions: Record<string, string>; san?: string }): void {
  for (let p = seq.start; p < seq.end;) {
    const ext = readTlv(der, p, seq.end);
    p = ext.end;
    const oidT = readTlv(der, ext.start, ext.end);
    let valT = readTlv(der, oidT.end, ext.end);
    if (valT.tag === 0x01) valT = readTlv(der, valT.end, ext.end); // critical flag
    if (oidT.tag !== 0x06 || valT.tag !== 0x04) continue;
    const kind = oidKind(der, oidT);
    if (kind === 'fulcio') out.extensions[fulcioOid(der, oidT)] = decodeExtValue(der, valT.start, valT.end);
    else if (kind === 'san' && out.san === undefined) {
      const names = readTlv(der, valT.start, valT.end);
      // GeneralName [1] rfc822Name / [6] uniformResourceIdentifier, both IA5 (implicit tags)
      for (let q = names.start; q < names.end;) {
        const g = readTlv(der, q, names.end);
        q = g.end;
        if (g.tag === 0x81 || g.tag === 0x86) {
          out.san = der.toString('utf8', g.start, g.end);
          break;
        }
      }
    }
  }
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) to ISO 8601. */
function derTime(der: Buffer, t: Tlv): string | undefined {
  const len = t.end - t.start;
  const utc = t.tag === 0x17 && len === 13;
  if (!utc && !(t.tag === 0x18 && len === 15)) return undefined;
  if (der[t.end - 1] !== 0x5a) return undefined; // 'Z'
  for (let i = t.start; i < t.end - 1; i++) if (der[i]! < 0x30 || der[i]! > 0x39) return undefined;
  let s = der.toString('latin1', t.start, t.end - 1);
  if (utc) s = (s.charCodeAt(0) >= 0x35 ? '19' : '20') + s;
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}.000Z`;
}

/** Values of extension OIDs under 1.3.6.1.4.1.57264.1: raw UTF-8 (.1–.6) or a DER string (.8+). */
export function fulcioExtensions(der: Uint8Array): Record<string, string> {
  return walkCertificate(der)?.extensions ?? {};
}

function decodeExtValue(der: Buffer, start: number, end: number): string {
  // .8 and later wrap the value in a DER UTF8String/IA5String; .1–.6 hold the raw bytes.
  const b0 = der[start];
  if (end - start >= 2 && (b0 === 0x0c || b0 === 0x16 || b0 === 0x13)) {
    try {
      const t = readTlv(der, start, end);
      if (t.end === end) return der.toString('utf8', t.start, t.end);
    } catch {
      // not DER: raw
    }
  }
  return der.toString('utf8', start, end);
}
