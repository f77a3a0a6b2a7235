import { X509Error, type X509ErrorCode } from './errors.js';
import { checkAlgorithm, checkName, checkOid, checkSpki, children, derTime, DerRefusal, only, text, tlv, type Tlv } from './x509-der.js';

/**
 * The strict half of X.509 parsing: what @peculiar/x509 (asn1js underneath) accepts but a
 * certificate must not be, checked on the DER with the walker identity.ts uses (x509-der.ts).
 * Each defect is a coded X509Error naming the field; the rules are RFC 5280's, and where real
 * certificates bend them Go's crypto/x509 decides (PrintableString '*' and '&'; unknown key
 * algorithms and private extensions are read, not judged).
 *
 * The layout it returns is what parsing needs from the raw bytes: the TBS, the SPKI, the
 * extensions, and the CT pieces (poison, SCT list), so the DER is walked once.
 */
export interface CertificateLayout {
  tbs: Tlv;
  serial: Tlv;
  spki: Tlv;
  /** The [3] wrapper, when present. */
  extensionsField: Tlv | undefined;
  extensions: ExtensionTlv[];
  publicKey: { algorithm: string; bits?: number; curve?: string };
  notBefore: string;
  notAfter: string;
}
export interface ExtensionTlv {
  oid: string;
  critical: boolean;
  /** The whole Extension SEQUENCE. */
  tlv: Tlv;
  /** Contents of extnValue. */
  value: Tlv;
}

export const OID = {
  san: '2.5.29.17',
  ian: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  eku: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  aia: '1.3.6.1.5.5.7.1.1',
  sia: '1.3.6.1.5.5.7.1.11',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
} as const;

/** Runs a walk step; the walker's refusal becomes `code` naming `field`. */
export function step<T>(code: X509ErrorCode, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof X509Error) throw err;
    if (err instanceof DerRefusal || err instanceof TypeError) throw new X509Error(code, `${field}: not valid DER for this field`, { field, cause: err });
    throw err;
  }
}
const fail = (code: X509ErrorCode, field: string, why: string): never => {
  throw new X509Error(code, `${field}: ${why}`, { field });
};

export function checkCertificate(der: Buffer): CertificateLayout {
  const D = 'X509_DER_INVALID';
  const { tbs, outerAlg } = step(D, 'certificate', () => {
    const cert = only(der, 0, der.length, 0x30);
    const tbs = tlv(der, cert.start, cert.end);
    const outerAlg = tlv(der, tbs.end, cert.end);
    const sig = tlv(der, outerAlg.end, cert.end);
    if (tbs.tag !== 0x30 || sig.tag !== 0x03 || sig.end !== cert.end) throw new DerRefusal();
    return { tbs, outerAlg };
  });
  const fields = step(D, 'tbsCertificate', () => children(der, tbs));
  let i = 0;
  if (fields[0]?.tag === 0xa0) {
    const v = step(D, 'tbsCertificate.version', () => only(der, fields[0]!.start, fields[0]!.end, 0x02));
    checkInteger(der, v, 'tbsCertificate.version');
    if (v.end - v.start !== 1 || der[v.start]! > 2) fail(D, 'tbsCertificate.version', 'not v1, v2 or v3');
    i = 1;
  }
  const [serial, sigAlg, issuer, validity, subject, spki, ...rest] = fields.slice(i);
  if (!serial || !sigAlg || !issuer || !validity || !subject || !spki) return fail(D, 'tbsCertificate', 'fields missing');
  if (serial.tag !== 0x02) fail(D, 'tbsCertificate.serialNumber', 'not an INTEGER');
  checkInteger(der, serial, 'tbsCertificate.serialNumber');
  step(D, 'tbsCertificate.signature', () => checkAlgorithm(der, sigAlg));
  step(D, 'signatureAlgorithm', () => checkAlgorithm(der, outerAlg));
  // RFC 5280 4.1.1.2: the outer algorithm MUST equal the signed one, or the signature is read with the wrong algorithm.
  if (!der.subarray(sigAlg.start, sigAlg.end).equals(der.subarray(outerAlg.start, outerAlg.end))) {
    fail('X509_SIGNATURE_ALGORITHM_MISMATCH', 'signatureAlgorithm', 'differs from tbsCertificate.signature');
  }
  checkNameStrings(der, issuer, 'tbsCertificate.issuer');
  checkNameStrings(der, subject, 'tbsCertificate.subject');
  const [notBefore, notAfter] = step(D, 'tbsCertificate.validity', () => {
    if (validity.tag !== 0x30) throw new DerRefusal();
    const [a, b, ...more] = children(der, validity);
    if (!a || !b || more.length > 0) throw new DerRefusal();
    return [derTime(der, a), derTime(der, b)];
  });
  const publicKey = checkPublicKey(der, spki);
  let extensionsField: Tlv | undefined;
  for (const f of rest) {
    if (f.tag === 0x81 || f.tag === 0x82) continue; // issuer/subject unique IDs
    if (f.tag !== 0xa3 || extensionsField) fail(D, 'tbsCertificate', 'unexpected field after subjectPublicKeyInfo');
    extensionsField = f;
  }
  const extensions = extensionsField ? checkExtensions(der, extensionsField) : [];
  return { tbs, serial, spki, extensionsField, extensions, publicKey, notBefore: notBefore, notAfter: notAfter };
}

/** Where `t`'s tag byte is: x509-der admits one-byte tags and minimal lengths only, so the header size follows from the length. */
export function headerStart(t: Tlv): number {
  const len = t.end - t.start;
  return t.start - (len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6);
}

/** DER INTEGER: present and minimal (X.690 8.3.2: no redundant leading 0x00 or 0xff octet). */
function checkInteger(der: Buffer, t: Tlv, field: string, code: X509ErrorCode = 'X509_DER_INVALID'): void {
  const n = t.end - t.start;
  if (t.tag !== 0x02 || n === 0) fail(code, field, 'not an INTEGER');
  if (n > 1 && ((der[t.start] === 0x00 && der[t.start + 1]! < 0x80) || (der[t.start] === 0xff && der[t.start + 1]! >= 0x80))) {
    fail(code, field, 'INTEGER not minimally encoded');
  }
}

/**
 * X.680 PrintableString, plus '*' and '&' as Go accepts them (wildcard CNs and a few CA names use
 * them); IA5String ASCII; UTF8String valid UTF-8; BMPString whole UTF-16 units.
 */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;
function checkNameStrings(der: Buffer, name: Tlv, field: string): void {
  step('X509_DER_INVALID', field, () => checkName(der, name));
  for (const rdn of children(der, name)) {
    for (const atv of children(der, rdn)) {
      const [, value] = children(der, atv);
      const v = value!;
      switch (v.tag) {
        case 0x13:
          if (!PRINTABLE.test(der.toString('latin1', v.start, v.end))) fail('X509_NAME_INVALID', field, 'PrintableString with characters outside its set');
          break;
        case 0x16:
          for (let k = v.start; k < v.end; k++) if (der[k]! > 0x7f) fail('X509_NAME_INVALID', field, 'IA5String with non-ASCII bytes');
          break;
        case 0x0c:
          step('X509_NAME_INVALID', field, () => text(der, v.start, v.end));
          break;
        case 0x1e:
          if ((v.end - v.start) % 2 !== 0) fail('X509_NAME_INVALID', field, 'BMPString of odd length');
          break;
        default:
          break; // TeletexString, UniversalString and non-string values: read as bytes, not judged
      }
    }
  }
}

const RSA = '2a864886f70d010101';
const EC = '2a8648ce3d0201';
const CURVES: Record<string, string> = { '2a8648ce3d030107': 'P-256', '2b81040022': 'P-384', '2b81040023': 'P-521' };
const ED: Record<string, string> = { '2b6570': 'Ed25519', '2b6571': 'Ed448' };

/** RFC 3279 / 5480 / 8410 for the algorithms chainwatch meets; others are read, not judged. */
function checkPublicKey(der: Buffer, spki: Tlv): CertificateLayout['publicKey'] {
  const K = 'X509_PUBLIC_KEY_INVALID';
  const F = 'tbsCertificate.subjectPublicKeyInfo';
  step(K, F, () => checkSpki(der, spki));
  const [alg, bits] = children(der, spki) as [Tlv, Tlv];
  const [oid, param] = children(der, alg) as [Tlv, Tlv | undefined];
  const algHex = der.toString('hex', oid.start, oid.end);
  if (der[bits.start] !== 0) fail(K, F, 'key BIT STRING with unused bits');
  const key = { start: bits.start + 1, end: bits.end };
  if (algHex === RSA) {
    if (!param || param.tag !== 0x05 || param.end !== param.start) fail(K, F, 'rsaEncryption parameters must be NULL');
    const [n, e] = step(K, `${F}.rsaPublicKey`, () => {
      const seq = only(der, key.start, key.end, 0x30);
      const ints = children(der, seq);
      if (ints.length !== 2) throw new DerRefusal();
      return ints as [Tlv, Tlv];
    });
    checkInteger(der, n, `${F}.modulus`, K);
    checkInteger(der, e, `${F}.publicExponent`, K);
    if (der[n.start]! & 0x80 || der[e.start]! & 0x80) fail(K, F, 'negative RSA modulus or exponent');
    const len = n.end - n.start - (der[n.start] === 0 ? 1 : 0);
    return { algorithm: 'RSA', bits: len * 8 };
  }
  if (algHex === EC) {
    if (!param || param.tag !== 0x06) fail(K, F, 'id-ecPublicKey without a named curve');
    const curve = CURVES[der.toString('hex', param!.start, param!.end)];
    // Go's crypto/x509 and the CA/Browser Forum allow these three; others (secp192r1, ...) are refused.
    if (!curve) return fail(K, F, 'elliptic curve not one of P-256, P-384, P-521');
    return { algorithm: 'EC', curve };
  }
  const ed = ED[algHex];
  if (ed) return { algorithm: ed };
  return { algorithm: oidString(der, oid) };
}

/** Extensions with SEQUENCE SIZE (1..MAX) OF ...: an empty one is malformed (RFC 5280 4.2). */
const NON_EMPTY = new Set<string>([OID.san, OID.ian, OID.eku, OID.crlDistributionPoints, OID.certificatePolicies, OID.aia, OID.sia]);

function checkExtensions(der: Buffer, wrapper: Tlv): ExtensionTlv[] {
  const E = 'X509_EXTENSION_INVALID';
  const out: ExtensionTlv[] = [];
  const seen = new Set<string>();
  const seq = step('X509_DER_INVALID', 'tbsCertificate.extensions', () => only(der, wrapper.start, wrapper.end, 0x30));
  for (const ext of step('X509_DER_INVALID', 'tbsCertificate.extensions', () => children(der, seq))) {
    const parts = step(E, 'tbsCertificate.extensions', () => children(der, ext));
    const oid = parts[0];
    if (ext.tag !== 0x30 || !oid || oid.tag !== 0x06 || parts.length > 3) return fail(E, 'tbsCertificate.extensions', 'not an Extension');
    step(E, 'tbsCertificate.extensions', () => checkOid(der, oid));
    const id = oidString(der, oid);
    const field = `extensions.${id}`;
    let critical = false;
    let value = parts[1];
    if (parts.length === 3) {
      if (value!.tag !== 0x01 || value!.end - value!.start !== 1) fail(E, field, 'critical is not a BOOLEAN');
      critical = der[value!.start] !== 0;
      value = parts[2];
    }
    if (!value || value.tag !== 0x04) return fail(E, field, 'extnValue is not an OCTET STRING');
    if (seen.has(id)) fail(E, field, 'appears twice (RFC 5280 4.2)');
    seen.add(id);
    checkExtensionValue(der, id, value, field);
    out.push({ oid: id, critical, tlv: ext, value });
  }
  return out;
}

function checkExtensionValue(der: Buffer, id: string, value: Tlv, field: string): void {
  const E = 'X509_EXTENSION_INVALID';
  const idCe = id.startsWith('2.5.29.');
  if (!idCe && !NON_EMPTY.has(id) && id !== OID.ctPoison && id !== OID.sctList) return; // private arcs may hold raw bytes
  const inner = step(E, field, () => only(der, value.start, value.end, der[value.start] ?? 0));
  step(E, field, () => deepCheck(der, inner));
  if (NON_EMPTY.has(id) && (inner.tag !== 0x30 || inner.end === inner.start)) fail(E, field, 'empty where at least one element is required');
  switch (id) {
    case OID.eku:
      for (const k of children(der, inner)) {
        if (k.tag !== 0x06) fail(E, field, 'KeyPurposeId is not an OID');
        step(E, field, () => checkOid(der, k));
      }
      break;
    case OID.san:
    case OID.ian:
      for (const g of children(der, inner)) checkGeneralName(der, g, field);
      break;
    case OID.aia:
    case OID.sia:
      for (const ad of children(der, inner)) {
        const [method, location, ...more] = step(E, field, () => children(der, ad));
        if (ad.tag !== 0x30 || method?.tag !== 0x06 || !location || more.length > 0) fail(E, field, 'not an AccessDescription');
        checkGeneralName(der, location!, field);
      }
      break;
    case OID.ctPoison:
      if (inner.tag !== 0x05 || inner.end !== inner.start) fail(E, field, 'the CT poison must be NULL');
      break;
    case OID.sctList:
      if (inner.tag !== 0x04) fail(E, field, 'the SCT list must be an OCTET STRING');
      break;
    default:
      break;
  }
}

/** Constructed values all the way down, and OIDs whole (an empty OID is how EKUs break). */
function deepCheck(der: Buffer, t: Tlv): void {
  if (t.tag === 0x06) checkOid(der, t);
  if (t.tag & 0x20) for (const c of children(der, t)) deepCheck(der, c);
}

function checkGeneralName(der: Buffer, g: Tlv, field: string): void {
  switch (g.tag) {
    case 0x81: // rfc822Name
    case 0x82: // dNSName
    case 0x86: // uniformResourceIdentifier
      for (let k = g.start; k < g.end; k++) if (der[k]! > 0x7f) fail('X509_EXTENSION_INVALID', field, 'IA5String name with non-ASCII bytes');
      break;
    case 0x87: // iPAddress
      if (g.end - g.start !== 4 && g.end - g.start !== 16) fail('X509_EXTENSION_INVALID', field, 'iPAddress neither 4 nor 16 octets');
      break;
    case 0xa0:
    case 0xa3:
    case 0xa4:
    case 0xa5:
    case 0x88:
      break;
    default:
      fail('X509_EXTENSION_INVALID', field, 'not a GeneralName');
  }
}

/** Dotted form of an OID (checkOid has run, so every sub-identifier ends). */
export function oidString(der: Buffer, t: Tlv): string {
  const arcs: number[] = [];
  let v = 0;
  for (let k = t.start; k < t.end; k++) {
    v = v * 128 + (der[k]! & 0x7f);
    if (!(der[k]! & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}
