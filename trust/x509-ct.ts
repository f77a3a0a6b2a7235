import { X509Error } from './errors.js';
import { type CertificateLayout, headerStart, OID } from './x509-strict.js';
import { only, type Tlv } from './x509-der.js';

/**
 * The Certificate Transparency pieces of a certificate (RFC 6962): the embedded SCT list, which is
 * a TLS structure inside the extension (no ASN.1 library reads it), and the TBSCertificate as a
 * log sees it for an SCT: without the poison and the SCT list. That TBS is one certificate's
 * identity across its precertificate and final form, and across every log that has it.
 */
export interface Sct {
  version: number;
  /** RFC 6962 LogID (SHA-256 of the log's key), base64 as in the log list. */
  logId: string;
  timestamp: string;
  hashAlgorithm: number;
  signatureAlgorithm: number;
  signature: string;
  extensions: string;
}

/**
 * opaque SerializedSCT<1..2^16-1>; struct { SerializedSCT sct_list<1..2^16-1>; } SignedCertificateTimestampList;
 * struct { Version sct_version; LogID id; uint64 timestamp; CtExtensions extensions<0..2^16-1>;
 *          digitally-signed struct { HashAlgorithm(1) SignatureAlgorithm(1) opaque signature<0..2^16-1> } } SignedCertificateTimestamp;
 */
export function parseSctList(der: Buffer, value: Tlv): Sct[] {
  const field = `extensions.${OID.sctList}`;
  const bad = (why: string): never => {
    throw new X509Error('X509_EXTENSION_INVALID', `${field}: ${why}`, { field });
  };
  const octets = only(der, value.start, value.end, 0x04);
  const b = der.subarray(octets.start, octets.end);
  const u16 = (at: number): number => (at + 2 <= b.length ? b.readUInt16BE(at) : bad('truncated'));
  const listLen = u16(0);
  if (listLen + 2 !== b.length || listLen === 0) bad('list length does not match');
  const out: Sct[] = [];
  for (let p = 2; p < b.length;) {
    const len = u16(p);
    const start = p + 2;
    const end = start + len;
    if (len === 0 || end > b.length) bad('SCT length out of bounds');
    if (len < 1 + 32 + 8 + 2 + 4) bad('SCT too short');
    const version = b[start]!;
    const logId = b.subarray(start + 1, start + 33).toString('base64');
    const ms = b.readBigUInt64BE(start + 33);
    if (ms > BigInt(8.64e15)) bad('timestamp out of range');
    const extLen = u16(start + 41);
    let q = start + 43 + extLen;
    if (q + 4 > end) bad('SCT extensions out of bounds');
    const extensions = b.subarray(start + 43, q).toString('hex');
    const hashAlgorithm = b[q]!;
    const signatureAlgorithm = b[q + 1]!;
    const sigLen = u16(q + 2);
    q += 4;
    if (q + sigLen !== end) bad('SCT signature length does not match');
    out.push({
      version,
      logId,
      timestamp: new Date(Number(ms)).toISOString(),
      hashAlgorithm,
      signatureAlgorithm,
      signature: b.subarray(q, end).toString('base64'),
      extensions,
    });
    p = end;
  }
  return out;
}

/**
 * The TBSCertificate without the CT poison and the SCT list extensions, re-encoded (the [3]
 * wrapper is left out when nothing remains, as RFC 6962 logs build precert TBS). For a precert
 * and the final certificate issued from it the result is the same bytes.
 */
export function tbsWithoutCtExtensions(der: Buffer, layout: CertificateLayout): Buffer {
  const { tbs, extensionsField } = layout;
  if (!extensionsField) return der.subarray(headerStart(tbs), tbs.end);
  const kept = layout.extensions.filter((e) => e.oid !== OID.ctPoison && e.oid !== OID.sctList).map((e) => der.subarray(headerStart(e.tlv), e.tlv.end));
  const before = der.subarray(tbs.start, headerStart(extensionsField));
  const after = der.subarray(extensionsField.end, tbs.end);
  const exts = kept.length > 0 ? [encode(0xa3, encode(0x30, Buffer.concat(kept)))] : [];
  return encode(0x30, Buffer.concat([before, ...exts, after]));
}

function encode(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
