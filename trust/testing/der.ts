/**
 * A small DER writer for identity tests: builds certificates field by field (unsigned: the
 * signature is filler, identity extraction never checks it), so a test can set exactly the SAN,
 * validity and Fulcio extensions it is about, or break one of them.
 */
export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
export const seq = (...c: Uint8Array[]): Buffer => tlv(0x30, ...c);

export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const parts = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) parts.unshift((v & 0x7f) | 0x80);
    bytes.push(...parts);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const utcTime = (s: string): Buffer => tlv(0x17, Buffer.from(s, 'latin1'));
export const generalizedTime = (s: string): Buffer => tlv(0x18, Buffer.from(s, 'latin1'));

/** Extension ::= SEQUENCE { extnID, critical?, extnValue OCTET STRING } */
export function extension(id: string, value: Uint8Array, critical = false): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
export const FULCIO = '1.3.6.1.4.1.57264.1.';
/** A Fulcio claim: raw bytes for .1–.6, a DER UTF8String from .8 on (as Fulcio writes them). */
export function fulcio(arc: number, value: string): Buffer {
  return extension(FULCIO + arc, arc <= 6 ? Buffer.from(value, 'utf8') : utf8String(value));
}
/** subjectAltName with [1] rfc822Name / [6] URI / [2] dNSName entries. */
export function san(...names: [email: 'email' | 'uri' | 'dns', value: string][]): Buffer {
  const tag = { email: 0x81, dns: 0x82, uri: 0x86 } as const;
  return extension('2.5.29.17', seq(...names.map(([k, v]) => tlv(tag[k], Buffer.from(v, 'latin1')))));
}

const P256 = seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7'));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('2.5.4.3'), utf8String(cn))));
/** A P-256 SubjectPublicKeyInfo with a fixed, well-formed uncompressed point (the generator). */
export const SPKI = seq(
  P256,
  tlv(
    0x03,
    Buffer.from([0]),
    Buffer.from('046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5', 'hex'),
  ),
);

export interface CertSpec {
  notBefore?: Buffer;
  notAfter?: Buffer;
  /** Whole Extension TLVs, in order; undefined = no [3] field at all. */
  extensions?: Buffer[];
}

export function certificate(spec: CertSpec = {}): Buffer {
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([0x01, 0x23, 0x45])),
    ECDSA_SHA256,
    name('test issuer'),
    seq(spec.notBefore ?? utcTime('240319172626Z'), spec.notAfter ?? utcTime('240319173626Z')),
    name(''),
    SPKI,
    ...(spec.extensions ? [tlv(0xa3, seq(...spec.extensions))] : []),
  );
  return seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), seq(tlv(0x02, Buffer.from([1])), tlv(0x02, Buffer.from([1])))));
}

export function pem(der: Uint8Array, label = 'CERTIFICATE'): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}

/** A DER tree: constructed TLVs hold children, primitive ones their bytes. For mutation tests. */
export interface DerNode {
  tag: number;
  children?: DerNode[];
  value?: Buffer;
}

/** Parses well-formed DER (definite lengths) into a tree; throws on anything else. */
export function parseTree(der: Buffer): DerNode {
  const node = (pos: number, limit: number): [DerNode, number] => {
    const tag = der[pos]!;
    let len = der[pos + 1]!;
    let p = pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[p + i]!;
      p += n;
    }
    const end = p + len;
    if (end > limit || Number.isNaN(len)) throw new Error('bad DER');
    if (!(tag & 0x20)) return [{ tag, value: der.subarray(p, end) }, end];
    const children: DerNode[] = [];
    for (let q = p; q < end;) {
      const [c, next] = node(q, end);
      children.push(c);
      q = next;
    }
    return [{ tag, children }, end];
  };
  const [root, end] = node(0, der.length);
  if (end !== der.length) throw new Error('trailing bytes');
  return root;
}

export function encodeTree(n: DerNode): Buffer {
  return n.children ? tlv(n.tag, ...n.children.map(encodeTree)) : tlv(n.tag, n.value ?? Buffer.alloc(0));
}

/** Byte offsets of every TLV's length octet in well-formed DER, outermost first. */
export function lengthOffsets(der: Buffer): number[] {
  const out: number[] = [];
  const walk = (pos: number, limit: number): number => {
    out.push(pos + 1);
    const tag = der[pos]!;
    let len = der[pos + 1]!;
    let p = pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[p + i]!;
      p += n;
    }
    const end = Math.min(p + len, limit);
    if (tag & 0x20) for (let q = p; q < end;) q = walk(q, end);
    return end;
  };
  walk(0, der.length);
  return out;
}
