import { hash } from 'node:crypto';
import type { SignerIdentity as Signer } from '../core/index.js';
import { firstPemBlock } from './pem.js';
import { bytesAt, checkAlgorithm, checkName, checkOid, checkSpki, children, derTime, isSpki, only, refuse, text, tlv, type Tlv } from './x509-der.js';

/**
 * Signer identity from the PEM an entry carries: a Fulcio (or any X.509) certificate gives its
 * SHA-256 fingerprint, first e-mail or URI SAN, validity and every 1.3.6.1.4.1.57264.1.* extension
 * (OIDC issuer, GitHub workflow claims); a bare SPKI public key gives its SHA-256 fingerprint.
 *
 * Why a walker and not a library: it runs once per Rekor entry beside one signature check, and it
 * reads a certificate in one pass several times faster than @sigstore/core's X509Certificate and
 * two orders of magnitude faster than @peculiar/x509 (bench/x509.bench.ts). It is held to those
 * parsers by tests: a differential test over every certificate in the shared real data and a
 * mutation fuzz test (trust/identity.*.test.ts). What keeps it honest is strictness, since
 * identity-watch pages on what it returns: anything that is not clean DER X.509 (x509-der.ts), or
 * whose identity would be ambiguous (two instances of one extension, an impossible date, a SAN or
 * claim that is not text), gives the 'unknown' signer. Nothing here throws.
 */
const FULCIO_ARC = '1.3.6.1.4.1.57264.1.';
const OID_ISSUER_V2 = `${FULCIO_ARC}8`;
const OID_ISSUER_V1 = `${FULCIO_ARC}1`;
const unknown = (): Signer => ({ kind: 'unknown', extensions: {} });

export function signerFromPem(pemOrB64: string): Signer {
  const pem = pemOrB64.includes('-----BEGIN') ? pemOrB64 : Buffer.from(pemOrB64, 'base64').toString('utf8');
  const block = firstPemBlock(pem);
  if (!block) return unknown();
  if (block.label === 'CERTIFICATE') return signerFromCertificateDer(block.der);
  // The PEM body IS the SPKI DER: fingerprint it without building a key object (hot path).
  if (block.label === 'PUBLIC KEY' && isSpki(block.der)) return { kind: 'publicKey', fingerprintSha256: sha256hex(block.der), extensions: {} };
  return unknown();
}

/** The identity of one DER certificate, or the 'unknown' signer when it is refused. */
export function signerFromCertificateDer(der: Uint8Array): Signer {
  const buf = Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.length);
  let walked: Walked;
  try {
    walked = walkCertificate(buf);
  } catch {
    return unknown(); // DerRefusal, or a decoder's error on a claim that is not text
  }
  const signer: Signer = { kind: 'certificate', fingerprintSha256: sha256hex(buf), extensions: walked.extensions };
  signer.notBefore = walked.notBefore;
  signer.notAfter = walked.notAfter;
  if (walked.san !== undefined) signer.san = walked.san;
  const issuer = walked.extensions[OID_ISSUER_V2] ?? walked.extensions[OID_ISSUER_V1];
  if (issuer !== undefined) signer.issuer = issuer;
  const gh = githubClaims(walked.extensions);
  if (gh) signer.github = gh;
  return signer;
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

// --- the certificate walk (strict DER reading in x509-der.ts) ----------------------------------

interface Walked {
  extensions: Record<string, string>;
  san?: string;
  notBefore: string;
  notAfter: string;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, filling the whole buffer. */
function walkCertificate(der: Buffer): Walked {
  const cert = only(der, 0, der.length, 0x30);
  const tbs = tlv(der, cert.start, cert.end);
  const alg = tlv(der, tbs.end, cert.end);
  const sig = tlv(der, alg.end, cert.end);
  if (tbs.tag !== 0x30 || sig.tag !== 0x03 || sig.end !== cert.end) refuse();
  // TBSCertificate: [0] version?, serial, signature, issuer, validity, subject, spki, [1]?, [2]?, [3] extensions?
  let f = tlv(der, tbs.start, tbs.end);
  if (f.tag === 0xa0) {
    only(der, f.start, f.end, 0x02);
    f = tlv(der, f.end, tbs.end);
  }
  const serial = f;
  const sigAlg = tlv(der, serial.end, tbs.end);
  const issuer = tlv(der, sigAlg.end, tbs.end);
  const validity = tlv(der, issuer.end, tbs.end);
  const subject = tlv(der, validity.end, tbs.end);
  const spki = tlv(der, subject.end, tbs.end);
  if (serial.tag !== 0x02 || validity.tag !== 0x30) refuse();
  // Fields the identity does not read are still checked for shape: a parser that misreads a
  // broken one can lose track of the extensions after it (the fuzz test found one that did).
  checkAlgorithm(der, sigAlg);
  checkAlgorithm(der, alg);
  checkName(der, issuer);
  checkName(der, subject);
  checkSpki(der, spki);
  const notBefore = tlv(der, validity.start, validity.end);
  const notAfter = tlv(der, notBefore.end, validity.end);
  if (notAfter.end !== validity.end) refuse();
  const out: Walked = { extensions: {}, notBefore: derTime(der, notBefore), notAfter: derTime(der, notAfter) };
  let p = spki.end;
  let t = p < tbs.end ? tlv(der, p, tbs.end) : undefined;
  if (t?.tag === 0x81) t = (p = t.end) < tbs.end ? tlv(der, p, tbs.end) : undefined; // issuerUniqueID
  if (t?.tag === 0x82) t = (p = t.end) < tbs.end ? tlv(der, p, tbs.end) : undefined; // subjectUniqueID
  if (t?.tag === 0xa3) {
    readExtensions(der, only(der, t.start, t.end, 0x30), out);
    p = t.end;
  }
  if (p !== tbs.end) refuse();
  return out;
}

/** DER bodies of 1.3.6.1.4.1.57264.1 (prefix of every Fulcio OID) and 2.5.29.17 (SAN). */
const FULCIO_PREFIX = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01]);
const SAN_DER = Buffer.from([0x55, 0x1d, 0x11]);

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtensions(der: Buffer, seq: Tlv, out: Walked): void {
  const arcs = [0, 0, 0, 0]; // bit n: Fulcio arc .n seen (n < 128)
  let seen: Set<number | string> | undefined; // other OIDs, rarely more than ten
  for (let p = seq.start; p < seq.end;) {
    const ext = tlv(der, p, seq.end);
    p = ext.end;
    if (ext.tag !== 0x30) refuse();
    const oid = tlv(der, ext.start, ext.end);
    let val = tlv(der, oid.end, ext.end);
    if (val.tag === 0x01) {
      if (val.end - val.start !== 1) refuse(); // critical BOOLEAN
      val = tlv(der, val.end, ext.end);
    }
    if (oid.tag !== 0x06 || val.tag !== 0x04 || val.end !== ext.end) refuse();
    checkOid(der, oid);
    const len = oid.end - oid.start;
    // RFC 5280 4.2: one instance per extension; two would make the identity ambiguous.
    if (len === FULCIO_PREFIX.length + 1 && bytesAt(der, oid.start, FULCIO_PREFIX)) {
      const arc = der[oid.end - 1]!; // .0 … .127: checkOid saw no continuation bit
      const bit = 1 << (arc & 31);
      if (arcs[arc >> 5]! & bit) refuse();
      arcs[arc >> 5]! |= bit;
      out.extensions[FULCIO_NAMES[arc]!] = fulcioValue(der, val, arc);
      continue;
    }
    const key = len <= 6 ? oidNumber(der, oid) : der.toString('latin1', oid.start, oid.end); // short ones (id-ce: 3 bytes) as numbers
    if ((seen ??= new Set()).has(key)) refuse();
    seen.add(key);
    if (len > FULCIO_PREFIX.length && bytesAt(der, oid.start, FULCIO_PREFIX)) {
      out.extensions[fulcioName(der, oid)] = fulcioValue(der, val, fulcioArc(der, oid));
    } else if (der[oid.start] === 0x55 && der[oid.start + 1] === 0x1d) {
      // id-ce (2.5.29.*), the RFC 5280 extensions: extnValue is one DER value. Private arcs may hold
      // raw bytes (YubiKey attestation certificates do) and are not read.
      only(der, val.start, val.end, der[val.start] ?? refuse());
      if (len === SAN_DER.length && bytesAt(der, oid.start, SAN_DER)) out.san = firstSan(der, only(der, val.start, val.end, 0x30));
    }
  }
}
/** The bytes of an OID of at most 6 bytes, and its length, as one safe integer. */
function oidNumber(der: Buffer, t: Tlv): number {
  let n = t.end - t.start;
  for (let i = t.start; i < t.end; i++) n = n * 256 + der[i]!;
  return n;
}

/** GeneralNames: the first rfc822Name [1] or uniformResourceIdentifier [6]; every name must be a GeneralName. */
function firstSan(der: Buffer, names: Tlv): string | undefined {
  let san: string | undefined;
  const all = children(der, names);
  if (all.length === 0) refuse();
  for (const g of all) {
    switch (g.tag) {
      case 0x81: // rfc822Name, IA5String
      case 0x82: // dNSName, IA5String
      case 0x86: // uniformResourceIdentifier, IA5String
        for (let i = g.start; i < g.end; i++) if (der[i]! > 0x7f) refuse();
        if (san === undefined && g.tag !== 0x82) san = der.toString('latin1', g.start, g.end);
        break;
      case 0xa0: // otherName
      case 0xa3: // x400Address
      case 0xa4: // directoryName
      case 0xa5: // ediPartyName
      case 0x87: // iPAddress
      case 0x88: // registeredID
        break;
      default:
        refuse();
    }
  }
  return san;
}

const FULCIO_NAMES = Array.from({ length: 128 }, (_, i) => FULCIO_ARC + i);

/** "1.3.6.1.4.1.57264.1.<n>[.…]", from the bytes after the Fulcio prefix (checkOid has run). */
function fulcioName(der: Buffer, t: Tlv): string {
  const at = t.start + FULCIO_PREFIX.length;
  if (t.end === at + 1) return FULCIO_NAMES[der[at]!]!;
  const arcs: number[] = [];
  let v = 0;
  for (let i = at; i < t.end; i++) {
    v = v * 128 + (der[i]! & 0x7f);
    if (!(der[i]! & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  return FULCIO_ARC + arcs.join('.');
}

/** <n> of "1.3.6.1.4.1.57264.1.<n>[.…]". */
function fulcioArc(der: Buffer, t: Tlv): number {
  let v = 0;
  for (let i = t.start + FULCIO_PREFIX.length; i < t.end; i++) {
    v = v * 128 + (der[i]! & 0x7f);
    if (!(der[i]! & 0x80)) return v;
  }
  return refuse();
}

/** .1–.6 hold the claim as raw UTF-8; .8 on as one DER UTF8String (IA5String and PrintableString taken too). */
function fulcioValue(der: Buffer, val: Tlv, arc: number): string {
  if (arc >= 1 && arc <= 6) return text(der, val.start, val.end);
  const s = tlv(der, val.start, val.end);
  if (s.end !== val.end) refuse();
  if (s.tag === 0x0c) return text(der, s.start, s.end);
  if (s.tag !== 0x16 && s.tag !== 0x13) refuse();
  for (let i = s.start; i < s.end; i++) if (der[i]! > 0x7f) refuse();
  return der.toString('latin1', s.start, s.end);
}
