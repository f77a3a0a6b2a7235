import { hash } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 resolves its parsers through tsyringe, which needs the Reflect polyfill first
import * as px from '@peculiar/x509';
import { X509Error } from './errors.js';
import { pemBlocks } from './pem.js';
import { parseSctList, type Sct, tbsWithoutCtExtensions } from './x509-ct.js';
import { tlv } from './x509-der.js';
import { checkCertificate, headerStart, OID, step } from './x509-strict.js';

/**
 * X.509 certificates for everything that is not the Rekor hot path (identity.ts has its own
 * walker for that): `inspect cert`, the CT watcher, the certificate inventory. Two layers:
 *   1. x509-strict.ts checks the DER with the shared walker (x509-der.ts) and refuses, with a
 *      coded X509Error, what a lenient ASN.1 library accepts (non-minimal integers, an empty EKU,
 *      mismatched signature algorithms, a bad public key, a PrintableString with '@');
 *   2. @peculiar/x509 reads the fields (names, SANs, EKUs, key usage, basic constraints).
 * The SCT list (a TLS structure) and the CT identity come from x509-ct.ts.
 * Load it through loadX509() (trust/index.ts): the library takes a few hundred ms to import, and most CLI
 * commands never need it.
 */
export interface Certificate {
  der: Buffer;
  sha256: string;
  /** SHA-256 of the SubjectPublicKeyInfo DER (what pinning and CT allowlists use). */
  spkiSha256: string;
  /** SHA-256 of the TBSCertificate without CT poison and SCT list: one value for a precert and its final certificate. */
  ctTbsSha256: string;
  serialNumber: string;
  subject: string;
  issuer: string;
  subjectFields: NameFields;
  issuerFields: NameFields;
  notBefore: string;
  notAfter: string;
  sans: SubjectAltNames;
  extendedKeyUsages: string[];
  keyUsages: string[];
  ca: boolean;
  pathLength: number | undefined;
  precertificate: boolean;
  scts: Sct[];
  publicKey: { algorithm: string; bits?: number; curve?: string };
  signatureAlgorithm: string;
  selfIssued: boolean;
}
export interface NameFields {
  commonName: string[];
  organization: string[];
  organizationalUnit: string[];
  country: string[];
}
export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.4.1.11129.2.4.4': 'ctPrecertSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};
const KEY_USAGES: [px.KeyUsageFlags, string][] = [
  [px.KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [px.KeyUsageFlags.nonRepudiation, 'contentCommitment'],
  [px.KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [px.KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [px.KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [px.KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [px.KeyUsageFlags.cRLSign, 'cRLSign'],
  [px.KeyUsageFlags.encipherOnly, 'encipherOnly'],
  [px.KeyUsageFlags.decipherOnly, 'decipherOnly'],
];

const sha256 = (b: Uint8Array): string => hash('sha256', b, 'hex');

/** One DER certificate; throws X509Error when it is not an acceptable one. */
export function parseCertificate(input: Uint8Array): Certificate {
  const der = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const layout = checkCertificate(der);
  let cert: px.X509Certificate;
  try {
    cert = new px.X509Certificate(der);
  } catch (err) {
    throw new X509Error('X509_DER_INVALID', 'certificate: the X.509 library refused it', { field: 'certificate', cause: err });
  }
  const sans: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
  let extendedKeyUsages: string[] = [];
  let keyUsages: string[] = [];
  let ca = false;
  let pathLength: number | undefined;
  let scts: Sct[] = [];
  for (const e of layout.extensions) {
    const field = `extensions.${e.oid}`;
    const raw = der.subarray(headerStart(e.tlv), e.tlv.end);
    extension(field, () => {
      switch (e.oid) {
        case OID.san:
          for (const n of new px.SubjectAlternativeNameExtension(raw).names.items) {
            if (n.type === 'dns') sans.dns.push(n.value);
            else if (n.type === 'ip') sans.ip.push(n.value);
            else if (n.type === 'email') sans.email.push(n.value);
            else if (n.type === 'url') sans.uri.push(n.value);
          }
          break;
        case OID.eku:
          extendedKeyUsages = new px.ExtendedKeyUsageExtension(raw).usages.map((u) => EKU_NAMES[String(u)] ?? String(u));
          break;
        case OID.keyUsage: {
          const flags = new px.KeyUsagesExtension(raw).usages;
          keyUsages = KEY_USAGES.filter(([f]) => (flags & f) !== 0).map(([, n]) => n);
          break;
        }
        case OID.basicConstraints: {
          const bc = new px.BasicConstraintsExtension(raw);
          ca = bc.ca;
          pathLength = bc.pathLength;
          break;
        }
        case OID.sctList:
          scts = parseSctList(der, e.value);
          break;
        default:
          break;
      }
    });
  }
  return {
    der,
    sha256: sha256(der),
    spkiSha256: sha256(der.subarray(headerStart(layout.spki), layout.spki.end)),
    ctTbsSha256: sha256(tbsWithoutCtExtensions(der, layout)),
    serialNumber: cert.serialNumber.toLowerCase(),
    subject: cert.subject,
    issuer: cert.issuer,
    subjectFields: nameFields(cert.subjectName),
    issuerFields: nameFields(cert.issuerName),
    notBefore: layout.notBefore,
    notAfter: layout.notAfter,
    sans,
    extendedKeyUsages,
    keyUsages,
    ca,
    pathLength,
    precertificate: layout.extensions.some((e) => e.oid === OID.ctPoison),
    scts,
    publicKey: layout.publicKey,
    signatureAlgorithm: signatureName(cert),
    selfIssued: cert.subject === cert.issuer, // the library's cached DN strings (subjectName/issuerName.toString())
  };
}

/** The library throws plain errors on what x509-strict let through; keep them coded. */
function extension(field: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof X509Error) throw err;
    throw new X509Error('X509_EXTENSION_INVALID', `${field}: the X.509 library refused it`, { field, cause: err });
  }
}

function nameFields(n: px.Name): NameFields {
  return { commonName: n.getField('CN'), organization: n.getField('O'), organizationalUnit: n.getField('OU'), country: n.getField('C') };
}

function signatureName(cert: px.X509Certificate): string {
  const a = cert.signatureAlgorithm as { name?: string; hash?: { name?: string } };
  return a.hash?.name ? `${a.name}/${a.hash.name}` : (a.name ?? 'unknown');
}

/**
 * Every certificate in a file or stream: PEM (any number of CERTIFICATE blocks; other blocks are
 * an error, not skipped) or DER (one or more certificates back to back).
 */
export function parseCertificates(input: Uint8Array | string): Certificate[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length === 0) throw new X509Error('X509_EMPTY', 'no input');
  const head = buf.subarray(0, 64).toString('latin1').trimStart();
  if (buf[0] !== 0x30 || head.startsWith('-')) return fromPem(buf.toString('utf8'));
  return splitDer(buf).map((d) => parseCertificate(d));
}

function fromPem(text: string): Certificate[] {
  const blocks = pemBlocks(text);
  if (!Array.isArray(blocks)) throw new X509Error('X509_PEM_INVALID', `line ${blocks.line}: ${blocks.reason}`, { field: `line ${blocks.line}` });
  if (blocks.length === 0) throw new X509Error('X509_EMPTY', 'no PEM CERTIFICATE block');
  const wrong = blocks.find((b) => b.label !== 'CERTIFICATE');
  if (wrong) throw new X509Error('X509_PEM_INVALID', `a ${wrong.label} block where certificates were expected`);
  return blocks.map((b) => parseCertificate(b.der));
}

/** Top-level SEQUENCEs back to back, split with the strict walker (x509-der.ts); what does not split is malformed DER. */
function splitDer(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < buf.length;) {
    const t = step('X509_DER_INVALID', 'certificate', () => tlv(buf, p, buf.length));
    if (t.tag !== 0x30) throw new X509Error('X509_DER_INVALID', `offset ${p}: not a certificate SEQUENCE`, { field: 'certificate' });
    out.push(buf.subarray(p, t.end));
    p = t.end;
  }
  return out;
}
