/**
 * Strict DER reading for trust/identity.ts: one TLV at a time, low tag numbers, definite and
 * minimal lengths, only SEQUENCE and SET constructed, and the shapes of the X.509 structures the
 * identity walks past (algorithm identifiers, names, public keys). Anything else throws
 * DerRefusal, which identity.ts turns into the 'unknown' signer.
 */
/** Thrown inside the walker only; the public functions turn it into the 'unknown' signer. */
export class DerRefusal extends Error {}
export const refuse = (): never => {
  throw new DerRefusal('not a clean DER X.509 certificate');
};

export interface Tlv {
  tag: number;
  start: number; // of contents
  end: number;
}
/** One DER TLV at `pos`, within `limit`: low tag numbers only, definite and minimal lengths. */
export function tlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) refuse();
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) refuse(); // multi-byte tags: none in X.509
  if ((tag & 0xe0) === 0x20 && tag !== 0x30 && tag !== 0x31) refuse(); // DER: only SEQUENCE and SET are constructed universal types
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit || buf[p] === 0) refuse(); // indefinite (BER), absurd or non-minimal
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
    if (len < 0x80) refuse(); // non-minimal: the short form was required
  }
  if (p + len > limit) refuse();
  return { tag, start: p, end: p + len };
}

/** The TLVs that exactly fill the contents of `t`. */
export function children(buf: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.start; p < t.end;) {
    const c = tlv(buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** A value the identity does not read (algorithm parameters, name attributes): still clean DER all the way down. */
function checkTree(buf: Buffer, t: Tlv): void {
  if (t.tag & 0x20) for (const c of children(buf, t)) checkTree(buf, c);
}

/** The single TLV of tag `tag` that exactly fills [start, end). */
export function only(buf: Buffer, start: number, end: number, tag: number): Tlv {
  const t = tlv(buf, start, end);
  if (t.tag !== tag || t.end !== end) refuse();
  return t;
}

/** OID contents: non-empty, no sub-identifier with a leading 0x80, none left unfinished. */
export function checkOid(der: Buffer, t: Tlv): void {
  if (t.end === t.start || der[t.end - 1]! & 0x80) refuse();
  for (let i = t.start; i < t.end; i++) if (der[i] === 0x80 && (i === t.start || !(der[i - 1]! & 0x80))) refuse();
}

/** UTF-8 text, refused when it is not valid UTF-8 (two byte strings must never read as one claim). */
export function text(der: Buffer, start: number, end: number): string {
  const s = der.toString('latin1', start, end);
  return NON_ASCII.test(s) ? utf8.decode(der.subarray(start, end)) : s; // ASCII, the common case, is its own UTF-8
}
const NON_ASCII = /[\u0080-\u00ff]/; // a latin1 string's chars are its bytes
const utf8 = new TextDecoder('utf-8', { fatal: true });
export /** Two ASCII digits at i as a number (derTime checked they are digits). */
function two(der: Buffer, i: number): number {
  return (der[i]! - 0x30) * 10 + der[i + 1]! - 0x30;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 4.1.2.5 allows them, to ISO 8601. */
export function derTime(der: Buffer, t: Tlv): string {
  const len = t.end - t.start;
  const utc = t.tag === 0x17 && len === 13;
  if (!utc && !(t.tag === 0x18 && len === 15)) refuse();
  if (der[t.end - 1] !== 0x5a) refuse(); // 'Z'
  for (let i = t.start; i < t.end - 1; i++) if (der[i]! < 0x30 || der[i]! > 0x39) refuse();
  const p = utc ? t.start - 2 : t.start; // offsets as if the year had four digits
  const y = utc ? (two(der, t.start) >= 50 ? 1900 : 2000) + two(der, t.start) : two(der, p) * 100 + two(der, p + 2);
  const m = two(der, p + 4);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const maxDay = m === 2 && !leap ? 28 : (DAYS[m - 1] ?? 0);
  const d = two(der, p + 6);
  if (m < 1 || m > 12 || d < 1 || d > maxDay || two(der, p + 8) > 23 || two(der, p + 10) > 59 || two(der, p + 12) > 59) refuse();
  const s = der.toString('latin1', t.start, t.end - 1);
  const ymd = utc ? `${y}${s.slice(2, 6)}` : s.slice(0, 8);
  const hms = s.slice(utc ? 6 : 8);
  return `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}T${hms.slice(0, 2)}:${hms.slice(2, 4)}:${hms.slice(4, 6)}.000Z`;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
export function checkAlgorithm(der: Buffer, t: Tlv): void {
  if (t.tag !== 0x30) refuse();
  const oid = tlv(der, t.start, t.end);
  if (oid.tag !== 0x06) refuse();
  checkOid(der, oid);
  if (oid.end < t.end) checkTree(der, only(der, oid.end, t.end, der[oid.end]!)); // at most one parameter
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY } */
export function checkName(der: Buffer, t: Tlv): void {
  if (t.tag !== 0x30) refuse();
  for (let p = t.start; p < t.end;) {
    const rdn = tlv(der, p, t.end);
    p = rdn.end;
    if (rdn.tag !== 0x31) refuse();
    for (let q = rdn.start; q < rdn.end;) {
      const atv = tlv(der, q, rdn.end);
      q = atv.end;
      const type = tlv(der, atv.start, atv.end);
      const value = tlv(der, type.end, atv.end);
      if (atv.tag !== 0x30 || type.tag !== 0x06 || value.end !== atv.end) refuse();
      checkOid(der, type);
      checkTree(der, value);
    }
  }
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } */
export function checkSpki(der: Buffer, t: Tlv): void {
  if (t.tag !== 0x30) refuse();
  const alg = tlv(der, t.start, t.end);
  const key = tlv(der, alg.end, t.end);
  checkAlgorithm(der, alg);
  if (key.tag !== 0x03 || key.end === key.start || key.end !== t.end) refuse();
}

export function isSpki(der: Buffer): boolean {
  try {
    checkSpki(der, only(der, 0, der.length, 0x30));
    return true;
  } catch {
    return false;
  }
}

export function bytesAt(der: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (der[at + i] !== want[i]) return false;
  return true;
}
